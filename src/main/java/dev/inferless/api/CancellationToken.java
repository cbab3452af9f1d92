package dev.inferless.api;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One request's cancellation: the server makes one per request and passes it down to the model and
 * the engine, which check it between steps and stop early. It is cancelled when the client hangs up,
 * when the request's deadline passes, or at shutdown; the first reason sticks.
 */
public final class CancellationToken {

    /** Why a request was cancelled. */
    public enum Reason {
        /** The client closed its connection or stopped reading the stream. */
        CLIENT_GONE,
        /** The request's deadline ({@code server.inference_timeout_s}) passed. */
        DEADLINE,
        /** The runtime is shutting down and the grace period is over. */
        SHUTDOWN
    }

    private static final long NO_DEADLINE = Long.MAX_VALUE;

    private final Duration timeout;
    private final long deadlineNanos;
    private final AtomicReference<Reason> reason = new AtomicReference<>();
    /** A token whose cancellation cancels this one too; null for a request's own token. */
    private final CancellationToken parent;

    private CancellationToken(Duration timeout, long deadlineNanos, CancellationToken parent) {
        this.timeout = timeout;
        this.deadlineNanos = deadlineNanos;
        this.parent = parent;
    }

    /** A token cancelled only by {@link #cancel}: for work outside a request (warm-up, benchmarks, tests). */
    public static CancellationToken untimed() {
        return new CancellationToken(null, NO_DEADLINE, null);
    }

    /** A token that cancels itself {@code timeout} from now. */
    public static CancellationToken withTimeout(Duration timeout) {
        return new CancellationToken(timeout, System.nanoTime() + timeout.toNanos(), null);
    }

    /**
     * A token for one part of this request (one of several choices): it has this token's deadline,
     * is cancelled whenever this one is, and may be cancelled alone.
     */
    public CancellationToken part() {
        return new CancellationToken(timeout, deadlineNanos, this);
    }

    /** The time the request was given, from its start to its deadline; null when it has none. */
    public Duration timeout() {
        return timeout;
    }

    /** Cancels for {@code why}, unless already cancelled (the first reason sticks). */
    public void cancel(Reason why) {
        reason.compareAndSet(null, why);
    }

    /** True once cancelled, the deadline passing included. */
    public boolean isCancelled() {
        return reason() != null;
    }

    /** Why it was cancelled, or null while it is not. */
    public Reason reason() {
        if (reason.get() == null && parent != null && parent.reason() != null) {
            reason.compareAndSet(null, parent.reason());
        }
        if (reason.get() == null && pastDeadline()) {
            reason.compareAndSet(null, Reason.DEADLINE);
        }
        return reason.get();
    }

    /** True once the deadline passed, whatever cancelled the token first. */
    public boolean pastDeadline() {
        return deadlineNanos != NO_DEADLINE && System.nanoTime() - deadlineNanos >= 0;
    }

    /** Nanoseconds left until the deadline (on {@link System#nanoTime}'s clock; 0 when past, Long.MAX_VALUE when none). */
    public long nanosLeft() {
        return deadlineNanos == NO_DEADLINE ? Long.MAX_VALUE : Math.max(0, deadlineNanos - System.nanoTime());
    }
}
