package dev.omnibus.outbox.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;

import java.sql.Connection;
import java.sql.SQLException;

/** JDBC failures as {@link OmnibusException}s, and quiet cleanup. Stateless and thread-safe. */
public final class Jdbc {
    private Jdbc() {
    }

    /**
     * {@code e} as an {@link OmnibusException}: {@link ErrorCode#UNAVAILABLE} (retryable) for a connection failure
     * (SQL state class 08, 57P01-03: the server shut down or is starting) or a transient failure (40001 serialization,
     * 40P01 deadlock, 53xxx insufficient resources), {@link ErrorCode#INTERNAL} otherwise. The message names what was
     * being done and the SQL state; the SQLException is the cause.
     */
    public static OmnibusException failure(String doing, SQLException e) {
        String state = e.getSQLState();
        boolean transientFailure = isTransient(e);
        return new OmnibusException(transientFailure ? ErrorCode.UNAVAILABLE : ErrorCode.INTERNAL,
                doing + " failed (SQL state " + state + "): " + e.getMessage(), e, transientFailure);
    }

    /** Whether {@code e} may pass: the connection was lost or the server is restarting, a serialization failure. */
    public static boolean isTransient(SQLException e) {
        String state = e.getSQLState();
        if (state == null) {
            return true; // pgjdbc leaves it null for I/O failures it did not classify
        }
        return state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")
                || state.equals("40001") || state.equals("40P01");
    }

    /** Rolls back, ignoring a failure (the connection may be broken already; its closing rolls back anyway). */
    public static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException ignored) {
            // nothing more to do: the transaction did not commit
        }
    }

    /** Closes, ignoring a failure. */
    public static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // a broken connection is gone either way
        }
    }
}
