package dev.inferless.app;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT start a graceful shutdown instead of the JVM's default exit (status 143),
 * so the runtime can drain, finalize once and exit 0. A second one during the drain is the
 * operator insisting: the process exits at once, without finalize, with 128 + the signal's number
 * (143 for SIGTERM, 130 for SIGINT), as if no handler had been installed.
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
                        int status = 128 + signal.getNumber();
                        LOG.warn("received SIG{} again during the shutdown; exiting now with status {}, without "
                                + "waiting for requests or finalizing the model", signal.getName(), status);
                        // halt, not exit: the shutdown hook would wait for the drain this signal cuts short.
                        Runtime.getRuntime().halt(status);
                    }
                });
            } catch (IllegalArgumentException e) {
                LOG.warn("cannot handle SIG{} ({}); the JVM's default applies", name, e.getMessage());
            }
        }
    }
}
