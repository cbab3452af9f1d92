package dev.inferless.repo;

import dev.inferless.schema.IoSchema;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A model repo directory, read: its name (the directory name), config.yaml's (or
 * inferless-runtime-config.yaml's, see {@link RepoConfigFile}) {@code build:} and
 * {@code model:} sections (overrides applied to {@code model:}), and the input and output schemas.
 */
public record ModelRepo(Path dir, String name, Map<String, Object> build, Map<String, Object> modelConfig,
                        IoSchema inputs, IoSchema outputs) {

    static final List<String> BUILD_KEYS = List.of("cuda_version", "system_packages", "run", "maven_packages");

    public static ModelRepo load(Path dir, Map<String, Object> modelOverrides) throws ModelLoadException {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) {
            throw new ModelLoadException("model repo " + abs + " does not exist or is not a directory");
        }
        Path configFile;
        try {
            configFile = RepoConfigFile.of(abs);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException(e.getMessage());
        }
        Map<String, Object> config = readConfig(configFile);
        Map<String, Object> build = section(config, "build");
        for (String key : build.keySet()) {
            if (!BUILD_KEYS.contains(key)) {
                throw new ModelLoadException(configFile + ": unknown key build." + key
                        + " (expected " + String.join(", ", BUILD_KEYS) + ")");
            }
        }
        Map<String, Object> model = deepMerge(section(config, "model"), modelOverrides);
        try {
            Path inputFile = abs.resolve("input_schema.json");
            if (!Files.isRegularFile(inputFile)) {
                throw new ModelLoadException("model repo " + abs + " has no input_schema.json");
            }
            IoSchema inputs = IoSchema.read(inputFile, "inputs");
            Path outputFile = abs.resolve("output_schema.json");
            IoSchema outputs = Files.isRegularFile(outputFile) ? IoSchema.read(outputFile, "outputs") : IoSchema.empty();
            return new ModelRepo(abs, abs.getFileName().toString(), build, model, inputs, outputs);
        } catch (IllegalArgumentException e) {
            throw new ModelLoadException("model repo " + abs + ": " + e.getMessage());
        } catch (IOException e) {
            throw new ModelLoadException("model repo " + abs + ": cannot read schema: " + e.getMessage());
        }
    }

    /** The same repo served under {@code name}; empty keeps the directory's name. */
    public ModelRepo named(String name) {
        return name.isEmpty() ? this : new ModelRepo(dir, name, build, modelConfig, inputs, outputs);
    }

    /** The device the model is configured for: model.device, one of cpu, gpu, auto (default auto). */
    public String device() throws ModelLoadException {
        Object d = modelConfig.getOrDefault("device", "auto");
        String device = String.valueOf(d);
        if (!List.of("cpu", "gpu", "auto").contains(device)) {
            throw new ModelLoadException(RepoConfigFile.of(dir) + ": model.device: expected cpu, gpu or auto, got '" + device + "'");
        }
        return device;
    }

    /**
     * model.streaming_output (Inferless's per-model IS_STREAMING_OUTPUT): true or false declares
     * whether the simple JSON route streams when a request does not say; empty when not declared.
     */
    public Optional<Boolean> streamingOutput() throws ModelLoadException {
        Object v = modelConfig.get("streaming_output");
        if (v == null) {
            return Optional.empty();
        }
        if (!(v instanceof Boolean)) {
            String text = String.valueOf(v);
            if (!text.equals("true") && !text.equals("false")) {
                throw new ModelLoadException(RepoConfigFile.of(dir) + ": model.streaming_output: expected true or false, got '"
                        + text + "'");
            }
            return Optional.of(Boolean.parseBoolean(text)); // from --set / INFERLESS_MODEL_STREAMING_OUTPUT
        }
        return Optional.of((Boolean) v);
    }

    private static Map<String, Object> readConfig(Path file) throws ModelLoadException {
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        Object root;
        try (Reader r = Files.newBufferedReader(file)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (IOException e) {
            throw new ModelLoadException(file + ": cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new ModelLoadException(file + ": malformed YAML: " + e.getMessage());
        }
        if (root == null) {
            return Map.of();
        }
        if (!(root instanceof Map)) {
            throw new ModelLoadException(file + ": expected the sections build: and model:");
        }
        Map<String, Object> config = stringKeys((Map<?, ?>) root);
        for (String key : config.keySet()) {
            if (!List.of("build", "model").contains(key)) {
                throw new ModelLoadException(file + ": unknown key '" + key + "' (expected build:, model:)");
            }
        }
        for (String key : config.keySet()) {
            Object v = config.get(key);
            if (v != null && !(v instanceof Map)) {
                throw new ModelLoadException(file + ": " + key + ": expected a section of keys");
            }
        }
        return config;
    }

    private static Map<String, Object> section(Map<String, Object> config, String name) {
        Object v = config.get(name);
        return v == null ? Map.of() : stringKeys((Map<?, ?>) v);
    }

    private static Map<String, Object> stringKeys(Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(String.valueOf(k), v instanceof Map ? stringKeys((Map<?, ?>) v) : v));
        return out;
    }

    /** {@code over} wins; nested maps merge key by key. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> deepMerge(Map<String, Object> base, Map<String, Object> over) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        over.forEach((k, v) -> {
            Object old = out.get(k);
            if (old instanceof Map && v instanceof Map) {
                out.put(k, deepMerge((Map<String, Object>) old, (Map<String, Object>) v));
            } else {
                out.put(k, v);
            }
        });
        return java.util.Collections.unmodifiableMap(out);
    }
}
