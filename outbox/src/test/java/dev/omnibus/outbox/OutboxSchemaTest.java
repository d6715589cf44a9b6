package dev.omnibus.outbox;

import dev.omnibus.InvalidArgumentException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OutboxSchemaTest {
    @Test
    void tableNamesAreValidatedIdentifiers() {
        assertThat(OutboxSchema.of("billing.outbox", "billing.inbox").outboxTable()).isEqualTo("billing.outbox");
        for (String bad : new String[] {"", "Outbox", "1box", "a;drop table x", "a.b.c", "x".repeat(41), "a b"}) {
            assertThatThrownBy(() -> OutboxSchema.of(bad, "inbox"))
                    .as(bad).isInstanceOf(InvalidArgumentException.class)
                    .hasMessageContaining("outbox table").hasMessageContaining("a-z 0-9 _");
        }
        assertThatThrownBy(() -> OutboxSchema.of(null, "inbox")).isInstanceOf(InvalidArgumentException.class);
        assertThatThrownBy(() -> OutboxSchema.of("same", "same")).hasMessageContaining("must differ");
    }

    @Test
    void scriptsCarryTheConfiguredNames() {
        String v1 = OutboxSchema.of("billing.out", "billing.inb").scripts().get(0);
        assertThat(v1).contains("CREATE TABLE IF NOT EXISTS billing.out (")
                .contains("CREATE TABLE IF NOT EXISTS billing.inb (")
                .contains("CREATE INDEX IF NOT EXISTS out_pending ON billing.out")
                .doesNotContain("${");
    }
}
