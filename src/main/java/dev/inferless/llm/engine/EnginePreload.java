package dev.inferless.llm.engine;

import ai.djl.engine.Engine;
import dev.inferless.startup.StartupTimeline;

/**
 * Loads DJL's PyTorch engine (libtorch: about half a second) on a thread of its own as soon as a
 * {@code serve} starts on a host with its own torch (the GPU image), so that the LLM engine's load,
 * which starts only once the command line, configuration and repo are read, finds it loaded. On such a
 * host every repo with a checkpoint needs it; a repo without one pays the load on an idle core.
 */
public final class EnginePreload {

    private static final System.Logger LOG = System.getLogger(EnginePreload.class.getName());

    private EnginePreload() {}

    /** Starts the load; {@link Engines#load} waits for it (DJL's engine provider is synchronized). */
    public static void start() {
        Thread preload = new Thread(() -> {
            try (var phase = StartupTimeline.process().start("djl engine preload")) {
                Engine.getEngine("PyTorch");
            } catch (RuntimeException | LinkageError e) {
                // Not cached by DJL: Engines.load tries again and reports it where it matters.
                LOG.log(System.Logger.Level.DEBUG, "djl engine preload failed: {0}", e.toString());
            }
        }, "djl-engine-preload");
        preload.setDaemon(true);
        preload.start();
    }
}
