package dev.omnibus.spi;

/**
 * Makes a driver's blocking wait that nothing but an interrupt ends (jnats' {@code nextMessage}, a
 * {@code BlockingQueue.poll}) answer {@link Receiver#wakeup()}: the receive thread runs the wait through
 * {@link #run}, and {@link #wakeup} interrupts that thread only while it is inside such a wait, so the interrupt
 * can neither hit the driver's socket code (an interrupted NIO channel closes itself) nor outlive the wait.
 *
 * <p>Once {@link #wakeup} was called, every later {@link #run} returns {@code null} at once without calling the
 * wait: the subscription is closing. Use it only around a wait that is safe to interrupt: one that throws
 * {@link InterruptedException} and leaves the driver as it was (a message already taken from the driver's queue is
 * returned, not lost, since the interrupt lands only during the wait).
 *
 * <p>Thread-safety: {@link #run} from the receive thread (one at a time), {@link #wakeup} from any thread; wakeup
 * never blocks beyond a short monitor held by {@link #run} for a field write.
 */
public final class InterruptibleWait {
    /** A wait that an interrupt may end. */
    @FunctionalInterface
    public interface Wait<T, E extends Exception> {
        /** Waits; {@code null} when nothing came in time. */
        T await() throws InterruptedException, E;
    }

    private final Object lock = new Object();
    /** The thread inside {@link #run}'s wait, or null; guarded by {@link #lock}. */
    private Thread waiting;
    /** Whether {@link #wakeup} interrupted {@link #waiting}; guarded by {@link #lock}. */
    private boolean interrupted;
    private volatile boolean woken;

    /**
     * Runs {@code wait} on this thread; {@code null} if {@link #wakeup} was called before or during it.
     *
     * @throws InterruptedException when the thread was interrupted by someone else than {@link #wakeup}
     * @throws E                    what the wait throws
     */
    public <T, E extends Exception> T run(Wait<T, E> wait) throws InterruptedException, E {
        synchronized (lock) {
            if (woken) {
                return null;
            }
            waiting = Thread.currentThread();
        }
        boolean ours;
        try {
            return wait.await();
        } catch (InterruptedException e) {
            synchronized (lock) {
                if (interrupted) {
                    return null;
                }
            }
            throw e;
        } finally {
            synchronized (lock) {
                waiting = null;
                ours = interrupted;
            }
            // Why clear: wakeup may interrupt after the wait returned a message but before this block; that interrupt
            // was meant for the wait only and would otherwise fail the next blocking call the thread makes (the
            // receiver's close, a handler run inline). Past the block above, wakeup interrupts nobody.
            if (ours) {
                Thread.interrupted();
            }
        }
    }

    /** A wait in progress returns {@code null} now, and every later {@link #run} at once. Any thread. */
    public void wakeup() {
        synchronized (lock) {
            woken = true;
            if (waiting != null && !interrupted) {
                interrupted = true;
                waiting.interrupt();
            }
        }
    }

    /** Whether {@link #wakeup} was called. */
    public boolean isWoken() {
        return woken;
    }
}
