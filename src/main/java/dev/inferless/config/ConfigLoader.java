package dev.inferless.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads runtime-config.yaml, then applies INFERLESS_* environment variables, then {@code --set
 * key=value} (later wins). Keys missing from the file keep their defaults. Unknown keys and bad
 * values are errors naming the key. {@code model.<key>} other than the runtime's own model.repo and
 * model.warmup is collected as an override of the model repo's config.yaml {@code model:} section.
 */
public final class ConfigLoader {

    public static final String ENV_PREFIX = "INFERLESS_";
    private static final String MODEL_PREFIX = "model.";

    private final Map<String, String> flat = new LinkedHashMap<>(RuntimeConfig.DEFAULTS);
    private final Map<String, Object> modelOverrides = new LinkedHashMap<>();

    private ConfigLoader() {}

    /** {@code file} may be null: then the defaults are the base. */
    public static RuntimeConfig load(Path file, Map<String, String> env, List<String> sets) {
        ConfigLoader loader = new ConfigLoader();
        if (file != null) {
            loader.applyFile(file);
        }
        loader.applyEnv(env);
        for (String set : sets) {
            int eq = set.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set expects key=value, got '" + set + "'");
            }
            loader.apply(set.substring(0, eq).trim(), parseScalar(set.substring(eq + 1)), "--set");
        }
        return RuntimeConfig.from(loader.flat, loader.modelOverrides);
    }

    /** The environment variable that overrides a key: INFERLESS_ + upper case, dots and dashes as underscores. */
    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private void applyFile(Path file) {
        Object root;
        try (Reader r = Files.newBufferedReader(file)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new ConfigException(file + ": malformed YAML: " + e.getMessage());
        }
        if (root == null) {
            return;
        }
        if (!(root instanceof Map)) {
            throw new ConfigException(file + ": expected sections server:, model:, logging:");
        }
        for (Map.Entry<?, ?> section : ((Map<?, ?>) root).entrySet()) {
            String name = String.valueOf(section.getKey());
            if (!List.of("server", "model", "logging").contains(name)) {
                throw new ConfigException("unknown configuration key '" + name + "' in " + file + " (sections: server, model, logging)");
            }
            if (section.getValue() == null) {
                continue;
            }
            if (!(section.getValue() instanceof Map)) {
                throw new ConfigException(name + ": expected a section of keys in " + file);
            }
            for (Map.Entry<?, ?> e : ((Map<?, ?>) section.getValue()).entrySet()) {
                apply(name + "." + e.getKey(), e.getValue(), file.toString());
            }
        }
    }

    private void applyEnv(Map<String, String> env) {
        Map<String, String> byEnvName = new LinkedHashMap<>();
        RuntimeConfig.DEFAULTS.keySet().forEach(k -> byEnvName.put(envName(k), k));
        for (Map.Entry<String, String> e : env.entrySet()) {
            String var = e.getKey();
            if (!var.startsWith(ENV_PREFIX)) {
                continue;
            }
            String key = byEnvName.get(var);
            if (key != null) {
                apply(key, e.getValue(), "environment " + var);
            } else if (var.startsWith(ENV_PREFIX + "MODEL_")) {
                String modelKey = var.substring((ENV_PREFIX + "MODEL_").length()).toLowerCase(Locale.ROOT);
                apply(MODEL_PREFIX + modelKey, parseScalar(e.getValue()), "environment " + var);
            } else if (var.startsWith(ENV_PREFIX + "SERVER_") || var.startsWith(ENV_PREFIX + "LOGGING_")) {
                throw new ConfigException("unknown configuration key from environment variable " + var);
            }
            // Other INFERLESS_* variables (e.g. a token named by server.auth_token_env) are not configuration.
        }
    }

    private void apply(String key, Object value, String source) {
        if (key.isEmpty()) {
            throw new ConfigException("empty configuration key from " + source);
        }
        if (RuntimeConfig.DEFAULTS.containsKey(key)) {
            if (value instanceof Map || value instanceof List) {
                throw new ConfigException(key + ": expected a single value, got " + value + " (from " + source + ")");
            }
            flat.put(key, value == null ? "" : String.valueOf(value));
        } else if (key.startsWith(MODEL_PREFIX) && key.length() > MODEL_PREFIX.length()) {
            putPath(modelOverrides, key.substring(MODEL_PREFIX.length()).split("\\."), value);
        } else {
            throw new ConfigException("unknown configuration key '" + key + "' (from " + source + "); known keys: "
                    + String.join(", ", RuntimeConfig.DEFAULTS.keySet()) + ", and model.<key> for the model repo");
        }
    }

    @SuppressWarnings("unchecked")
    private static void putPath(Map<String, Object> map, String[] path, Object value) {
        Map<String, Object> node = map;
        for (int i = 0; i < path.length - 1; i++) {
            Object child = node.get(path[i]);
            if (!(child instanceof Map)) {
                child = new LinkedHashMap<String, Object>();
                node.put(path[i], child);
            }
            node = (Map<String, Object>) child;
        }
        node.put(path[path.length - 1], value);
    }

    /** A command-line or environment value as YAML reads it: "512" is a number, "true" a boolean. */
    static Object parseScalar(String text) {
        try {
            Object v = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
            return v == null ? "" : v;
        } catch (RuntimeException e) {
            return text;
        }
    }
}
