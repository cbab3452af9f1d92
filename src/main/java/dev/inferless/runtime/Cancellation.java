package dev.inferless.runtime;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/** The cancellation flag of the request the current thread works on (set by the scheduler's worker). */
final class Cancellation {

    private static final ThreadLocal<AtomicBoolean> CURRENT = new ThreadLocal<>();

    private Cancellation() {}

    static void bind(AtomicBoolean flag) {
        CURRENT.set(flag);
    }

    static void unbind() {
        CURRENT.remove();
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
