package dev.omnibus.jetstream.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.OmnibusException;
import dev.omnibus.nats.shared.NatsConnector;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which stream holds a subject, creating one on demand; thread-safe. A stream that already captures the subject is
 * used as it is (never reconfigured); else a stream named after the subject's first {@code prefixTokens} tokens (dots
 * as underscores) is created with subjects {@code <prefix>, <prefix>.>} (or just the topic when
 * {@code prefixTokens} is 0). Topics are cached once resolved; {@link #forget} drops one whose stream went away.
 */
final class Streams {
    private static final Logger log = LoggerFactory.getLogger(Streams.class);
    private static final int STREAM_NAME_IN_USE = 10058;
    private static final int SUBJECTS_OVERLAP = 10065;

    private final NatsConnector connector;
    private final JetStreamManagement jsm;
    private final int prefixTokens;
    private final StorageType storage;
    private final Duration maxAge;
    private final ConcurrentHashMap<String, String> byTopic = new ConcurrentHashMap<>();

    Streams(NatsConnector connector, JetStreamManagement jsm, int prefixTokens, StorageType storage, Duration maxAge) {
        this.connector = connector;
        this.jsm = jsm;
        this.prefixTokens = prefixTokens;
        this.storage = storage;
        this.maxAge = maxAge;
    }

    /** The stream a publish to {@code topic} lands in, created if none captures it. */
    String forTopic(String topic) {
        String stream = byTopic.get(topic);
        if (stream == null) {
            stream = resolve(topic);
            byTopic.put(topic, stream);
        }
        return stream;
    }

    /** The one stream a subscription to {@code pattern} (a topic or a wildcard pattern) reads. */
    String forSubscription(String pattern) {
        return pattern.contains("*") || pattern.contains(">") ? resolve(pattern) : forTopic(pattern);
    }

    /** Forgets where {@code topic} goes (its stream was deleted): the next publish resolves it again. */
    void forget(String topic) {
        byTopic.remove(topic);
    }

    private String resolve(String subject) {
        try {
            String existing = capturing(subject);
            if (existing != null) {
                return existing;
            }
            String prefix = prefix(subject);
            String name = prefix.replace('.', '_');
            List<String> subjects = prefixTokens == 0 ? List.of(prefix) : List.of(prefix, prefix + ".>");
            StreamConfiguration.Builder config = StreamConfiguration.builder().name(name).subjects(subjects)
                    .storageType(storage);
            if (!maxAge.isZero()) {
                config.maxAge(maxAge);
            }
            try {
                jsm.addStream(config.build());
                log.info("jetstream: created stream '{}' with subjects {} ({} storage) on {}", name, subjects,
                        storage, connector.context().redactedUrl());
                return name;
            } catch (JetStreamApiException e) {
                String raced = capturing(subject);
                if (raced != null) {
                    return raced;
                }
                if (e.getApiErrorCode() == STREAM_NAME_IN_USE) {
                    throw new OmnibusException(ErrorCode.INVALID_ARGUMENT, "jetstream: stream '" + name + "' exists "
                            + "on " + connector.context().redactedUrl() + " with subjects that do not capture '"
                            + subject + "'; Omnibus never changes an existing stream: add the subject to it, create a "
                            + "stream that captures it, or change stream.prefix.tokens", e);
                }
                if (e.getApiErrorCode() == SUBJECTS_OVERLAP) {
                    throw new OmnibusException(ErrorCode.INVALID_ARGUMENT, "jetstream: the subjects " + subjects
                            + " of the stream Omnibus would create for '" + subject + "' overlap an existing stream on "
                            + connector.context().redactedUrl() + "; create a stream that captures '" + subject
                            + "' or change stream.prefix.tokens", e);
                }
                throw connector.classify(e);
            }
        } catch (IOException e) {
            throw connector.classify(e);
        } catch (JetStreamApiException e) {
            throw connector.classify(e);
        }
    }

    /** The stream whose subjects capture {@code subject}, or {@code null}; fails when a pattern spans several. */
    private String capturing(String subject) throws IOException, JetStreamApiException {
        List<String> names = jsm.getStreamNames(subject);
        if (names == null || names.isEmpty()) {
            return null;
        }
        if (names.size() > 1) {
            throw new InvalidArgumentException("jetstream: '" + subject + "' spans the streams " + names + " on "
                    + connector.context().redactedUrl() + "; a subscription reads one stream: subscribe to each");
        }
        return names.get(0);
    }

    private String prefix(String subject) {
        String[] tokens = subject.split("\\.");
        int n = prefixTokens == 0 ? tokens.length : Math.min(prefixTokens, tokens.length);
        for (int i = 0; i < n; i++) {
            if (tokens[i].equals("*") || tokens[i].equals(">")) {
                throw new InvalidArgumentException("jetstream: the pattern '" + subject + "' has a wildcard in its "
                        + "first " + n + " token(s), which name its stream (stream.prefix.tokens=" + prefixTokens
                        + "), and no existing stream captures it: a subscription reads one stream");
            }
        }
        return String.join(".", Arrays.copyOf(tokens, n));
    }
}
