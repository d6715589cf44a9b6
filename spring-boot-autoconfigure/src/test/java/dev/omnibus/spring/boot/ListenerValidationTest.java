package dev.omnibus.spring.boot;

import dev.omnibus.ConfigException;
import dev.omnibus.spring.boot.autoconfigure.OmnibusAutoConfiguration;
import dev.omnibus.spring.listener.OmnibusListener;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** Invalid listeners and connection settings fail the context's start with a message naming what is wrong. */
class ListenerValidationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OmnibusAutoConfiguration.class, JacksonAutoConfiguration.class))
            .withPropertyValues("omnibus.url=mem://validation");

    static class ZeroConcurrency {
        @OmnibusListener(topic = "t", concurrency = "${app.threads:0}")
        void on(CloudEvent e) {
        }
    }

    static class NotANumber {
        @OmnibusListener(topic = "t", maxInFlight = "many")
        void on(CloudEvent e) {
        }
    }

    static class Unresolved {
        @OmnibusListener(topic = "${app.missing}")
        void on(CloudEvent e) {
        }
    }

    static class DeadLetterAlone {
        @OmnibusListener(topic = "t", deadLetter = "t.dlq")
        void on(CloudEvent e) {
        }
    }

    static class ReturnsSomething {
        @OmnibusListener(topic = "t")
        String on(CloudEvent e) {
            return "";
        }
    }

    static class UnknownConnection {
        @OmnibusListener(topic = "t", connection = "orders")
        void on(CloudEvent e) {
        }
    }

    static class ManualWithoutDelivery {
        @OmnibusListener(topic = "t", ackMode = dev.omnibus.AckMode.MANUAL)
        void on(CloudEvent e) {
        }
    }

    static class BadTopic {
        @OmnibusListener(topic = "a b")
        void on(CloudEvent e) {
        }
    }

    @Test
    void anAttributeOutOfRangeNamesBeanMethodAttributeAndRange() {
        runner.withBean("zero", ZeroConcurrency.class).run(context -> assertThat(context).getFailure()
                .rootCause().isInstanceOf(ConfigException.class)
                .hasMessageContaining("bean 'zero', method ZeroConcurrency.on")
                .hasMessageContaining("attribute concurrency = \"${app.threads:0}\"")
                .hasMessageContaining("concurrency must be from 1 to 1024, was 0"));
    }

    @Test
    void aNumberThatIsNotOne() {
        runner.withBean("many", NotANumber.class).run(context -> assertThat(context).getFailure().rootCause()
                .hasMessageContaining("bean 'many', method NotANumber.on, attribute maxInFlight = \"many\": "
                        + "'many' is not a whole number"));
    }

    @Test
    void anUnresolvablePlaceholderWithoutAPlaceholderConfigurer() {
        runner.withBean("unresolved", Unresolved.class).run(context -> assertThat(context).getFailure().rootCause()
                .hasMessageContaining("bean 'unresolved', method Unresolved.on, attribute topic = \"${app.missing}\"")
                .hasMessageContaining("app.missing"));
    }

    @Test
    void anUnresolvablePlaceholder() {
        runner.withConfiguration(AutoConfigurations.of(PropertyPlaceholderAutoConfiguration.class))
                .withBean("unresolved", Unresolved.class).run(context -> assertThat(context).getFailure().rootCause()
                .hasMessageContaining("bean 'unresolved', method Unresolved.on, attribute topic = \"${app.missing}\"")
                .hasMessageContaining("Could not resolve placeholder 'app.missing'"));
    }

    @Test
    void aDeadLetterTopicWithoutMaxAttempts() {
        runner.withBean("alone", DeadLetterAlone.class).run(context -> assertThat(context).getFailure().rootCause()
                .hasMessageContaining("attribute maxAttempts")
                .hasMessageContaining("deadLetter and maxAttempts go together"));
    }

    @Test
    void aMethodThatReturnsAValue() {
        runner.withBean("returns", ReturnsSomething.class).run(context -> assertThat(context).getFailure().rootCause()
                .hasMessageContaining("bean 'returns', method ReturnsSomething.on: a listener method returns void"));
    }

    @Test
    void aManualListenerThatCannotSettle() {
        runner.withBean("manual", ManualWithoutDelivery.class).run(context -> assertThat(context).getFailure()
                .rootCause().hasMessageContaining("bean 'manual', method ManualWithoutDelivery.on, attribute ackMode = "
                        + "MANUAL: the method settles each delivery itself, so it takes the Delivery"));
    }

    @Test
    void anUnknownConnection() {
        runner.withBean("unknown", UnknownConnection.class).run(context -> assertThat(context).getFailure().rootCause()
                .hasMessageContaining("unknown.on, attribute connection: no connection named 'orders'")
                .hasMessageContaining("omnibus.connections.orders.url"));
    }

    @Test
    void aTopicTheBackendRefusesNamesTheListener() {
        runner.withBean("bad", BadTopic.class).run(context -> assertThat(context).getFailure()
                .hasStackTraceContaining("@OmnibusListener bad.on could not subscribe to 'a b'"));
    }

    @Test
    void noUrlSaysWhichPropertyToSet() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(OmnibusAutoConfiguration.class))
                .run(context -> {
                    if (System.getenv("OMNIBUS_URL") == null) {
                        assertThat(context).getFailure().rootCause().isInstanceOf(ConfigException.class)
                                .hasMessageContaining("omnibus.url is not set");
                    }
                });
    }

    @Test
    void anUnknownOptionIsRefusedAndAPasswordNeverShown() {
        runner.withPropertyValues("omnibus.options.publish.timout=5s",
                        "omnibus.connections.other.url=nats://user:s3cret@127.0.0.1:1/?nope=1")
                .run(context -> assertThat(context).getFailure().rootCause().isInstanceOf(ConfigException.class)
                        .hasMessageContaining("unknown option 'publish.timout'"));
        runner.withPropertyValues("omnibus.connections.other.url=mem://x?nope=1&password=s3cret")
                .run(context -> assertThat(context).getFailure().rootCause().isInstanceOf(ConfigException.class)
                        .hasMessageContaining("unknown option 'nope'").hasMessageNotContaining("s3cret"));
    }

    @Test
    void optionsBindRelaxedAndReachTheConnection() {
        runner.withPropertyValues("omnibus.options.publish.timeout=5s", "omnibus.connections.other.url=mem://other",
                        "omnibus.connections.other.options.retention=10")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(dev.omnibus.spring.OmnibusConnections.class).names())
                            .containsExactly("other");
                });
        runner.withPropertyValues("omnibus.options.publish.timeout=forever").run(context -> assertThat(context)
                .getFailure().rootCause().hasMessageContaining("publish.timeout"));
    }
}
