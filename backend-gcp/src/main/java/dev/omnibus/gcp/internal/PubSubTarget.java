package dev.omnibus.gcp.internal;

import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.pubsub.v1.TopicAdminSettings;
import dev.omnibus.ConfigException;
import dev.omnibus.gcp.PubSubBackendProvider;
import dev.omnibus.spi.BackendContext;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Where to connect, from the URL, the options and {@code PUBSUB_EMULATOR_HOST}, and with which credentials. Resolving
 * it checks the whole configuration before anything is opened: each problem is a {@link ConfigException} naming the
 * option and what it takes. Immutable; the static methods keep no state.
 *
 * @param project  the Google Cloud project id
 * @param endpoint the gRPC target, {@code host:port}
 * @param emulator an emulator: plaintext channel, no credentials
 */
record PubSubTarget(String project, String endpoint, boolean emulator) {
    private static final Pattern PROJECT_ID = Pattern.compile("[a-z][a-z0-9-]{4,28}[a-z0-9]");

    /** Checks the configuration and says where to connect. */
    static PubSubTarget resolve(BackendContext context) {
        return resolve(context, System.getProperty(PubSubBackendProvider.EMULATOR_HOST_VARIABLE,
                System.getenv(PubSubBackendProvider.EMULATOR_HOST_VARIABLE)));
    }

    /**
     * As {@link #resolve(BackendContext)}, {@code emulatorHost} standing for {@code PUBSUB_EMULATOR_HOST} (the system
     * property, else the environment variable; null when neither is set).
     */
    static PubSubTarget resolve(BackendContext context, String emulatorHost) {
        String project = context.get(PubSubBackendProvider.PROJECT);
        if (project == null || project.isBlank()) {
            throw new ConfigException("gcppubsub: option 'project' is missing: give the Google Cloud project id, "
                    + "e.g. gcppubsub://?project=my-project or OMNIBUS_PROJECT=my-project");
        }
        if (!PROJECT_ID.matcher(project).matches()) {
            throw new ConfigException("gcppubsub: option 'project' = '" + project + "' is not a Google Cloud "
                    + "project id: 6 to 30 of a-z 0-9 -, starting with a letter, not ending with '-'");
        }
        boolean emulator = context.get(PubSubBackendProvider.EMULATOR);
        String address = context.address();
        String endpoint;
        if (address != null && !address.isBlank()) {
            endpoint = address.endsWith("/") ? address.substring(0, address.length() - 1) : address;
            if (endpoint.contains("/") || endpoint.contains("@") || endpoint.contains(",")) {
                throw new ConfigException("gcppubsub: '" + context.redactedUrl() + "' names no single endpoint: "
                        + "expected gcppubsub://[host:port]?project=<id>");
            }
        } else if (emulatorHost != null && !emulatorHost.isBlank()) {
            endpoint = emulatorHost.trim();
            emulator = true;
        } else {
            endpoint = PubSubBackendProvider.DEFAULT_ENDPOINT;
        }
        if (emulator && context.get(PubSubBackendProvider.CREDENTIALS_FILE) != null) {
            throw new ConfigException("gcppubsub: options 'emulator' and 'credentials.file' cannot both be set: an "
                    + "emulator takes no credentials");
        }
        String template = context.get(PubSubBackendProvider.SUBSCRIPTION_TEMPLATE);
        if (!template.contains("{group}")) {
            throw new ConfigException("gcppubsub: option 'subscription.template' = '" + template + "' has no "
                    + "{group}: each group needs a subscription of its own");
        }
        Duration retention = context.get(PubSubBackendProvider.TOPIC_RETENTION);
        if (!retention.isZero() && retention.compareTo(Duration.ofMinutes(10)) < 0) {
            throw new ConfigException("gcppubsub: option 'topic.retention' = " + retention + " is below Pub/Sub's "
                    + "minimum of 10 minutes: use 0 (none) or 10m to 31d");
        }
        return new PubSubTarget(project, endpoint, emulator);
    }

    /** Application default credentials, or a key file's; never says what the file contains. */
    static CredentialsProvider credentials(String file) throws IOException {
        if (file == null || file.isBlank()) {
            return TopicAdminSettings.defaultCredentialsProviderBuilder().build();
        }
        try (InputStream in = new FileInputStream(file)) {
            return FixedCredentialsProvider.create(GoogleCredentials.fromStream(in)
                    .createScoped(TopicAdminSettings.getDefaultServiceScopes()));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException("gcppubsub: option 'credentials.file' = '" + file + "' is not a readable "
                    + "service account key file (" + e.getClass().getSimpleName() + ")");
        }
    }
}
