package dev.inferless.app;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT start a graceful shutdown instead of the JVM's default exit (status 143),
 * so the runtime can drain, finalize once and exit 0.
 */
final class ShutdownSignals {

    private static final Logger LOG = LoggerFactory.getLogger(ShutdownSignals.class);

    private ShutdownSignals() {}

    static void onTermOrInt(Runnable shutdown) {
        AtomicBoolean fired = new AtomicBoolean();
        for (String name : List.of("TERM", "INT")) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (fired.compareAndSet(false, true)) {
                        LOG.info("received SIG{}", signal.getName());
                        new Thread(shutdown, "shutdown").start();
                    } else {
                        LOG.info("received SIG{} again; already shutting down", signal.getName());
                    }
                });
            } catch (IllegalArgumentException e) {
                LOG.warn("cannot handle SIG{} ({}); the JVM's default applies", name, e.getMessage());
            }
        }
    }
}
