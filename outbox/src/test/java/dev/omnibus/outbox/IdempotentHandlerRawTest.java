package dev.omnibus.outbox;

import dev.omnibus.Delivery;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A raw delivery without a broker position has no stable id: the wrapper fails it before touching the database. */
class IdempotentHandlerRawTest {
    private static DataSource untouchable() {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    throw new AssertionError("the database must not be touched, yet " + method.getName() + " was");
                });
    }

    @Test
    void aRawDeliveryWithoutAPositionIsRefusedClearly() {
        IdempotentHandler h = IdempotentHandler.wrap(untouchable(), "billing", (d, c) -> {
            throw new AssertionError("the user's handler must not run");
        });
        OmnibusException e = catchThrowableOfType(OmnibusException.class, () -> h.handle(raw(null)));
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("billing").contains("orders.created").contains("DEAD_LETTER");
    }

    private static Delivery raw(String position) {
        CloudEvent event = CloudEventBuilder.v1().withId("made-up").withSource(URI.create("/raw"))
                .withType("dev.omnibus.raw").build();
        return new Delivery() {
            @Override
            public CloudEvent event() {
                return event;
            }

            @Override
            public String topic() {
                return "orders.created";
            }

            @Override
            public String group() {
                return "billing";
            }

            @Override
            public int attempt() {
                return 1;
            }

            @Override
            public String position() {
                return position;
            }

            @Override
            public boolean isRaw() {
                return true;
            }

            @Override
            public boolean ack() {
                return true;
            }

            @Override
            public boolean nack() {
                return true;
            }

            @Override
            public boolean nack(Duration delay) {
                return true;
            }
        };
    }
}
