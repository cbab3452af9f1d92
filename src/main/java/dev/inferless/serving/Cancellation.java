package dev.inferless.serving;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/** The cancellation flag and deadline of the request the current thread works on (set by the scheduler's worker). */
final class Cancellation {

    private static final ThreadLocal<AtomicBoolean> CURRENT = new ThreadLocal<>();
    private static final ThreadLocal<Long> DEADLINE = new ThreadLocal<>();

    private Cancellation() {}

    /** {@code deadlineNanos}: on {@link System#nanoTime}'s clock, when the request's answer is due. */
    static void bind(AtomicBoolean flag, long deadlineNanos) {
        CURRENT.set(flag);
        DEADLINE.set(deadlineNanos);
    }

    static void unbind() {
        CURRENT.remove();
        DEADLINE.remove();
    }

    /** The deadline of the request the current thread works on; Long.MAX_VALUE off a request thread. */
    static long currentDeadline() {
        Long d = DEADLINE.get();
        return d != null ? d : Long.MAX_VALUE;
    }

    /** The flag of the request the current thread works on, or null off a request thread. */
    static AtomicBoolean currentFlag() {
        return CURRENT.get();
    }

    /** On a request thread: that request's flag. Elsewhere: whatever request the caller's thread works on when asked. */
    static BooleanSupplier current() {
        AtomicBoolean flag = CURRENT.get();
        if (flag != null) {
            return flag::get;
        }
        return () -> {
            AtomicBoolean f = CURRENT.get();
            return f != null && f.get();
        };
    }
}
