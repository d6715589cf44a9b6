package dev.omnibus.gcp.internal;

import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.AsyncTaskException;
import com.google.api.gax.rpc.StatusCode;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import io.grpc.StatusRuntimeException;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Maps what the Pub/Sub client throws (gax {@link ApiException}s, gRPC {@link StatusRuntimeException}s) to the
 * library's portable {@link OmnibusException} codes, naming the connection's
 * redacted URL; a status meaning the server could not be reached also reports the disconnect. Once the connection
 * is closed, what its closing cut short is {@link ErrorCode#CLOSED}. Thread-safe: it keeps nothing of its own.
 */
final class PubSubErrors {
    private final String redactedUrl;
    private final BooleanSupplier closed;
    private final Consumer<Throwable> disconnected;

    /**
     * @param redactedUrl  the connection's URL with secrets masked
     * @param closed       whether the connection is closed
     * @param disconnected told of a failure that means the server could not be reached
     */
    PubSubErrors(String redactedUrl, BooleanSupplier closed, Consumer<Throwable> disconnected) {
        this.redactedUrl = redactedUrl;
        this.closed = closed;
        this.disconnected = disconnected;
    }

    /** The portable error for {@code error}, unwrapped from future and async wrappers; an OmnibusException as is. */
    OmnibusException classify(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException
                || t instanceof AsyncTaskException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof OmnibusException) {
            return (OmnibusException) t;
        }
        String where = PubSubBackend.NAME + ": " + redactedUrl;
        StatusCode.Code code = null;
        if (t instanceof ApiException) {
            code = ((ApiException) t).getStatusCode().getCode();
        } else if (t instanceof StatusRuntimeException) {
            code = StatusCode.Code.valueOf(((StatusRuntimeException) t).getStatus().getCode().name());
        }
        if (closed.getAsBoolean() && (code == StatusCode.Code.CANCELLED || code == StatusCode.Code.UNAVAILABLE
                || t instanceof CancellationException || t instanceof IllegalStateException)) {
            return closedError();
        }
        if (code == null) {
            if (t instanceof CancellationException) {
                return new OmnibusException(ErrorCode.UNAVAILABLE, where + ": call cancelled", t);
            }
            return new OmnibusException(ErrorCode.UNKNOWN, where + ": " + t, t);
        }
        String what = where + " answered " + code + ": " + t.getMessage();
        switch (code) {
            case UNAVAILABLE:
            case CANCELLED:
            case ABORTED:
            case INTERNAL:
            case UNKNOWN:
                disconnected.accept(t);
                return new OmnibusException(ErrorCode.UNAVAILABLE, what, t, true);
            case DEADLINE_EXCEEDED:
                return new OmnibusException(ErrorCode.TIMEOUT, where + ": no answer in time (" + t.getMessage()
                        + "); the server may have accepted the request", t);
            case RESOURCE_EXHAUSTED:
                return new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, what, t);
            case NOT_FOUND:
                return new OmnibusException(ErrorCode.NOT_FOUND, what, t);
            case PERMISSION_DENIED:
                return new OmnibusException(ErrorCode.PERMISSION_DENIED, what, t);
            case UNAUTHENTICATED:
                return new OmnibusException(ErrorCode.UNAUTHENTICATED, what, t);
            case INVALID_ARGUMENT:
            case FAILED_PRECONDITION:
            case OUT_OF_RANGE:
            case ALREADY_EXISTS:
                return new OmnibusException(ErrorCode.INVALID_ARGUMENT, what, t);
            case UNIMPLEMENTED:
                return new OmnibusException(ErrorCode.UNSUPPORTED, what, t);
            default:
                return new OmnibusException(ErrorCode.UNKNOWN, what, t);
        }
    }

    /** What a call on the closed connection fails with. */
    OmnibusException closedError() {
        return new OmnibusException(ErrorCode.CLOSED, PubSubBackend.NAME + ": the connection to " + redactedUrl
                + " is closed");
    }
}
