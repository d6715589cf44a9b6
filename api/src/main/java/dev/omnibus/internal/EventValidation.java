package dev.omnibus.internal;

import dev.omnibus.Extensions;
import dev.omnibus.InvalidEventException;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks an event before it reaches the wire; every problem is reported at once. Stateless and thread-safe. Public
 * (not API) for the modules that must validate exactly as {@code Publisher.publish} does, such as the outbox.
 */
public final class EventValidation {
    private EventValidation() {
    }

    /**
     * Throws {@link InvalidEventException} naming every problem of {@code event}: a required attribute missing, an
     * invalid extension name or value, a non-string {@code partitionkey}, data above {@code maxPayloadBytes} (named
     * as the limit of {@code backend}).
     */
    public static void validate(CloudEvent event, int maxPayloadBytes, String backend) {
        if (event == null) {
            throw new InvalidEventException("event is null");
        }
        // made on the first problem: a valid event (nearly every one) allocates nothing here
        List<String> problems = null;
        if (event.getSpecVersion() == null) {
            problems = add(problems, "required attribute 'specversion' is missing");
        }
        if (event.getId() == null || event.getId().isEmpty()) {
            problems = add(problems, "required attribute 'id' is missing or empty");
        }
        if (event.getSource() == null || event.getSource().toString().isEmpty()) {
            problems = add(problems,
                    "required attribute 'source' is missing or empty (a URI-reference such as /orders)");
        }
        if (event.getType() == null || event.getType().isEmpty()) {
            problems = add(problems, "required attribute 'type' is missing or empty (e.g. com.example.order.created)");
        }
        for (String name : event.getExtensionNames()) {
            if (!isValidExtensionName(name)) {
                problems = add(problems, "extension name '" + name + "' is invalid: CloudEvents attribute names are "
                        + "lower-case letters a-z and digits 0-9 only");
            } else if (event.getExtension(name) == null) {
                problems = add(problems, "extension '" + name + "' has no value");
            }
        }
        Object key = event.getExtension(Extensions.PARTITION_KEY);
        if (key != null && (!(key instanceof String) || ((String) key).isEmpty())) {
            problems = add(problems, "extension '" + Extensions.PARTITION_KEY + "' must be a non-empty string");
        }
        CloudEventData data = event.getData();
        if (data != null) {
            int size = data.toBytes().length;
            if (size > maxPayloadBytes) {
                problems = add(problems, "data is " + size + " bytes, above the limit of " + maxPayloadBytes
                        + " bytes of backend '" + backend + "'");
            }
        }
        if (problems != null) {
            String id = event.getId() == null || event.getId().isEmpty() ? "<no id>" : event.getId();
            throw new InvalidEventException("invalid event '" + id + "': " + String.join("; ", problems));
        }
    }

    private static List<String> add(List<String> problems, String problem) {
        List<String> list = problems == null ? new ArrayList<>(2) : problems;
        list.add(problem);
        return list;
    }

    private static boolean isValidExtensionName(String name) {
        if (name == null || name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }
}
