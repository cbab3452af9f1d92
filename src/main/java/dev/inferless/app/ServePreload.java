package dev.inferless.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.llm.engine.EnginePreload;
import dev.inferless.startup.StartupTimeline;

/**
 * What a {@code serve} start needs later, loaded on threads of their own from its first moment, beside
 * the command line and configuration: Jackson's databind (the repo's schemas, a checkpoint's
 * config.json, HTTP; about 0.2 s the first time) and, on a host with its own torch, DJL's engine
 * ({@link EnginePreload}). The commands' own mappers are built only when they run, so the command line
 * does not build one first.
 */
final class ServePreload {

    private ServePreload() {}

    /** Whether the command line is a {@code serve}. */
    static boolean serves(String[] args) {
        return args.length > 0 && args[0].equals("serve");
    }

    /** @param installedTorch DJL is pointed at an installed torch (the GPU image) */
    static void start(boolean installedTorch) {
        Thread json = new Thread(() -> {
            try (var phase = StartupTimeline.process().start("json preload")) {
                new ObjectMapper().readTree("{\"warm\": [1, 2.5, \"up\"]}");
            } catch (Exception e) {
                // Nothing to report: the first real use builds the mapper as it would have.
            }
        }, "json-preload");
        json.setDaemon(true);
        json.start();
        if (installedTorch) {
            EnginePreload.start();
        }
    }
}
