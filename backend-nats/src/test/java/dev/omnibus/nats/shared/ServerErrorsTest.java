package dev.omnibus.nats.shared;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The permission violations as nats-server words them (Go %q quoting) and jnats passes them on (without '). */
class ServerErrorsTest {
    @Test
    void aDeniedPublishNamesItsSubject() {
        assertThat(ServerErrors.deniedPublish("Permissions Violation for Publish to \"denied.x\"")).isEqualTo("denied.x");
        assertThat(ServerErrors.deniedPublish("Permissions Violation for Publish to \"a\\\"b\\\\c\"")).isEqualTo("a\"b\\c");
        assertThat(ServerErrors.deniedPublish("Permissions Violation for Publish to \"caf\\u00e9\"")).isEqualTo("café");
        assertThat(ServerErrors.deniedPublish("Permissions Violation for Publish with Reply of \"_INBOX.x\"")).isNull();
        assertThat(ServerErrors.deniedPublish("Authorization Violation")).isNull();
        assertThat(ServerErrors.deniedPublish(null)).isNull();
    }

    @Test
    void aDeniedSubscriptionNamesItsSubjectAndQueue() {
        assertThat(ServerErrors.deniedSubscription("Permissions Violation for Subscription to \"denied.>\""))
                .containsExactly("denied.>", null);
        assertThat(ServerErrors.deniedSubscription(
                "Permissions Violation for Subscription to \"denied.x\" using queue \"workers\""))
                .containsExactly("denied.x", "workers");
        assertThat(ServerErrors.deniedSubscription("Permissions Violation for Publish to \"x\"")).isNull();
    }

    @Test
    void subjectsCompareAsJnatsPassesTheTextOn() {
        // jnats removes every ' from an -ERR text
        assertThat(ServerErrors.comparable("it's.x")).isEqualTo("its.x");
    }
}
