package dev.inferless.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The configuration options shared by the commands: the file, and --set overrides. */
public final class ConfigOptions {

    static final Path DEFAULT_FILE = Path.of("runtime-config.yaml");

    @Option(names = "--config", paramLabel = "FILE",
            description = "Runtime configuration (default: runtime-config.yaml in the working directory when present).")
    Path file;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a configuration key, e.g. --set server.port=9000 or --set model.weights=/data/ckpt.")
    List<String> sets = new ArrayList<>();

    /** Loads the configuration; {@code extra} overrides (from --model, --port) win over everything. */
    public RuntimeConfig load(List<String> extra) {
        Path path = file;
        if (path != null && !Files.isRegularFile(path)) {
            throw new ConfigException("--config: " + path + " does not exist");
        }
        if (path == null && Files.isRegularFile(DEFAULT_FILE)) {
            path = DEFAULT_FILE;
        }
        List<String> all = new ArrayList<>(sets);
        all.addAll(extra);
        return ConfigLoader.load(path, System.getenv(), all);
    }
}
