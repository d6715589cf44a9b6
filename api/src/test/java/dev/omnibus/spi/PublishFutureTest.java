package dev.omnibus.spi;

import dev.omnibus.Capabilities;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PublishFutureTest {
    /** Classifies every failure as UNAVAILABLE, naming it, so a test can tell classified from passed through. */
    private static final Backend BACKEND = new Backend() {
        @Override
        public String name() {
            return "classifying";
        }

        @Override
        public Capabilities capabilities() {
            return Capabilities.builder().build();
        }

        @Override
        public CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Receiver receiver(ReceiverSpec spec) {
            throw new UnsupportedOperationException();
        }

        @Override
        public OmnibusException classify(Throwable error) {
            return new OmnibusException(ErrorCode.UNAVAILABLE, "classified " + error.getMessage(), error);
        }

        @Override
        public void close() {
        }
    };

    @Test
    void aClientsExceptionIsClassifiedByTheBackend() {
        PublishFuture f = new PublishFuture(BACKEND);
        IOException io = new IOException("connection reset");
        assertThat(f.completeExceptionally(io)).isTrue();
        assertThat(failure(f)).isInstanceOf(OmnibusException.class)
                .hasMessage("[UNAVAILABLE] classified connection reset").hasCause(io)
                .satisfies(e -> assertThat(((OmnibusException) e).code()).isEqualTo(ErrorCode.UNAVAILABLE));
    }

    @Test
    void aTypedFailureIsKeptAsItIs() {
        PublishFuture f = new PublishFuture(BACKEND);
        OmnibusException denied = new OmnibusException(ErrorCode.PERMISSION_DENIED, "denied");
        f.completeExceptionally(denied);
        assertThat(failure(f)).isSameAs(denied);
    }

    @Test
    void theCauseOfACompletionExceptionIsWhatIsClassified() {
        PublishFuture typed = new PublishFuture(BACKEND);
        OmnibusException denied = new OmnibusException(ErrorCode.PERMISSION_DENIED, "denied");
        typed.completeExceptionally(new CompletionException(denied));
        assertThat(failure(typed)).isSameAs(denied);

        PublishFuture raw = new PublishFuture(BACKEND);
        IllegalStateException cause = new IllegalStateException("producer closed");
        raw.completeExceptionally(new CompletionException(cause));
        assertThat(failure(raw)).hasMessage("[UNAVAILABLE] classified producer closed").hasCause(cause);
    }

    @Test
    void dependentsSeeTheTypedFailureAndASecondCompletionIsANoOp() {
        PublishFuture f = new PublishFuture(BACKEND);
        CompletableFuture<String> dependent = f.thenApply(PublishReceipt::position);
        f.completeExceptionally(new RuntimeException("boom"));
        assertThat(f.complete(new PublishReceipt("t", "e", "1", false))).isFalse();
        assertThat(f.completeExceptionally(new RuntimeException("again"))).isFalse();
        assertThatThrownBy(dependent::join).isInstanceOf(CompletionException.class).cause()
                .isInstanceOf(OmnibusException.class).hasMessage("[UNAVAILABLE] classified boom");
    }

    @Test
    void nullIsRefusedWithItsName() {
        assertThatThrownBy(() -> new PublishFuture(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("backend");
        assertThatThrownBy(() -> new PublishFuture(BACKEND).completeExceptionally(null))
                .isInstanceOf(NullPointerException.class).hasMessage("failure");
    }

    /** What {@code f} failed with (Java 17 has no {@code exceptionNow}). */
    private static Throwable failure(CompletableFuture<?> f) {
        assertThat(f).isCompletedExceptionally();
        return f.handle((value, error) -> error).join();
    }
}
