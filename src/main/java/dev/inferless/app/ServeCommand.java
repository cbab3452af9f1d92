package dev.inferless.app;

import dev.inferless.config.ConfigOptions;
import dev.inferless.config.RuntimeConfig;
import dev.inferless.startup.StartupTimeline;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code serve}: load the model repo, initialize, serve over HTTP until SIGTERM/SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Serve a model repo over HTTP (KServe v2 and /infer).")
public final class ServeCommand implements Callable<Integer> {

    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Option(names = "--model", paramLabel = "DIR", description = "Model repo directory (overrides model.repo).")
    Path model;

    @Option(names = "--port", paramLabel = "N", description = "Port to listen on, 0 for any free one (overrides server.port).")
    Integer port;

    @Override
    public Integer call() throws Exception {
        StartupTimeline.process().sinceEndOf("torch binding", "command line");
        List<String> extra = new ArrayList<>();
        if (model != null) {
            extra.add("model.repo=" + model);
        }
        if (port != null) {
            extra.add("server.port=" + port);
        }
        RuntimeConfig c;
        try (var phase = StartupTimeline.process().start("config")) {
            c = config.load(extra);
            LoggingSetup.apply(c.logging());
        }
        ServingRuntime runtime = ServingRuntime.create(c, System.getenv());
        // Installed before initialize: a signal during it waits for it, then drains and finalizes once.
        ShutdownSignals.onTermOrInt(runtime::shutdown);
        // Any other exit path (System.exit elsewhere, SIGHUP) still drains and finalizes once.
        Runtime.getRuntime().addShutdownHook(new Thread(runtime::shutdown, "shutdown-hook"));
        runtime.initialize();
        runtime.awaitStopped();
        return runtime.shutdown() ? 0 : 1;
    }
}
