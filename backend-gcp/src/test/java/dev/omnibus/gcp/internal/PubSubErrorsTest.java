package dev.omnibus.gcp.internal;

import com.google.api.gax.grpc.GrpcStatusCode;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.ApiExceptionFactory;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** How the client's failures map to the library's codes, and which of them report a disconnect; no server. */
class PubSubErrorsTest {
    private static final String URL = "gcppubsub://localhost:8085?project=my-project";

    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<Throwable> disconnects = new CopyOnWriteArrayList<>();
    private final PubSubErrors errors = new PubSubErrors(URL, closed::get, disconnects::add);

    private static ApiException api(Status.Code code) {
        return ApiExceptionFactory.createException(new RuntimeException("boom"), GrpcStatusCode.of(code), false);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "UNAVAILABLE, UNAVAILABLE, true",
            "CANCELLED, UNAVAILABLE, true",
            "ABORTED, UNAVAILABLE, true",
            "INTERNAL, UNAVAILABLE, true",
            "UNKNOWN, UNAVAILABLE, true",
            "DEADLINE_EXCEEDED, TIMEOUT, false",
            "RESOURCE_EXHAUSTED, RESOURCE_EXHAUSTED, false",
            "NOT_FOUND, NOT_FOUND, false",
            "PERMISSION_DENIED, PERMISSION_DENIED, false",
            "UNAUTHENTICATED, UNAUTHENTICATED, false",
            "INVALID_ARGUMENT, INVALID_ARGUMENT, false",
            "FAILED_PRECONDITION, INVALID_ARGUMENT, false",
            "OUT_OF_RANGE, INVALID_ARGUMENT, false",
            "ALREADY_EXISTS, INVALID_ARGUMENT, false",
            "UNIMPLEMENTED, UNSUPPORTED, false",
            "DATA_LOSS, UNKNOWN, false",
    })
    void aStatusMapsToItsCodeAndOnlyAnUnreachableServerIsADisconnect(Status.Code status, ErrorCode expected,
                                                                      boolean disconnect) {
        for (Throwable t : List.of(api(status), status.toStatus().withDescription("boom").asRuntimeException())) {
            disconnects.clear();
            OmnibusException e = errors.classify(t);
            assertThat(e.code()).as(t.toString()).isEqualTo(expected);
            assertThat(e).as(t.toString()).hasCause(t).hasMessageContaining("gcppubsub: " + URL)
                    .hasMessageContaining("boom");
            assertThat(e.isRetryable()).as(t.toString()).isEqualTo(expected.isRetryable());
            assertThat(disconnects).as(t.toString()).isEqualTo(disconnect ? List.of(t) : List.of());
        }
    }

    @Test
    void aTimeoutSaysTheServerMayHaveAcceptedTheRequest() {
        assertThat(errors.classify(api(Status.Code.DEADLINE_EXCEEDED)))
                .hasMessageContaining("no answer in time").hasMessageContaining("the server may have accepted");
    }

    @Test
    void futureWrappersAreUnwrappedAndALibraryErrorIsKeptAsIs() {
        ApiException notFound = api(Status.Code.NOT_FOUND);
        OmnibusException e = errors.classify(new CompletionException(new ExecutionException(notFound)));
        assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(e).hasCause(notFound);

        OmnibusException own = new OmnibusException(ErrorCode.INVALID_ARGUMENT, "bad topic");
        assertThat(errors.classify(own)).isSameAs(own);
        assertThat(errors.classify(new CompletionException(own))).isSameAs(own);
    }

    @Test
    void whatIsNoStatusIsACancelledCallOrUnknown() {
        OmnibusException cancelled = errors.classify(new CancellationException());
        assertThat(cancelled.code()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(cancelled).hasMessageContaining("call cancelled");
        OmnibusException other = errors.classify(new IllegalStateException("odd"));
        assertThat(other.code()).isEqualTo(ErrorCode.UNKNOWN);
        assertThat(other.isRetryable()).isFalse();
        assertThat(other).hasMessageContaining("odd");
        assertThat(disconnects).isEmpty();
    }

    @Test
    void onceClosedWhatTheClosingCutShortIsClosedAndNoDisconnect() {
        closed.set(true);
        for (Throwable t : List.of(api(Status.Code.UNAVAILABLE), Status.CANCELLED.asRuntimeException(),
                new CancellationException(), new IllegalStateException("shut down"))) {
            OmnibusException e = errors.classify(t);
            assertThat(e.code()).as(t.toString()).isEqualTo(ErrorCode.CLOSED);
            assertThat(e).as(t.toString()).hasMessageContaining("the connection to " + URL + " is closed");
        }
        assertThat(errors.classify(api(Status.Code.NOT_FOUND)).code()).isEqualTo(ErrorCode.NOT_FOUND);
        assertThat(disconnects).isEmpty();
    }
}
