package dev.inferless.llm.engine;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The {@code model:} section of a text-generation model repo's config.yaml: where the weights are
 * ({@code weights} empty: the repo's weights/ directory, see {@link CheckpointLocation}), whether a
 * tiny random checkpoint may stand in when there are none ({@code random_weights}, default true; the
 * image sets it false) and its format, the context limit (0 = the model's) and the request defaults.
 */
public record TextGenerationSettings(
        String weights,
        boolean randomWeights,
        String checkpointFormat,
        String device,
        int maxContext,
        int defaultMaxTokens,
        double defaultTemperature,
        double defaultTopP) {

    private static final Set<String> FORMATS = Set.of("fp16", "bf16", "fp32", "gptq", "awq");
    private static final Set<String> DEVICES = Set.of("cpu", "gpu", "auto");

    /** Reads the section; absent keys take the reference workload's defaults, bad values name the key. */
    public static TextGenerationSettings from(Map<String, Object> model) {
        Map<String, Object> generation = map(model.get("generation"), "model.generation");
        String format = string(model, "checkpoint_format", "gptq");
        if (!FORMATS.contains(format)) {
            throw new IllegalArgumentException("model.checkpoint_format must be one of " + FORMATS + ", got " + format);
        }
        String device = string(model, "device", "auto");
        if (!DEVICES.contains(device)) {
            throw new IllegalArgumentException("model.device must be one of " + DEVICES + ", got " + device);
        }
        int maxContext = SettingValues.int32(model, "max_context", 0, "model.");
        if (maxContext < 0) {
            throw new IllegalArgumentException("model.max_context must be >= 0 (0 = the model's), got " + maxContext);
        }
        int maxTokens = SettingValues.int32(generation, "max_tokens", 512, "model.generation.");
        if (maxTokens < 1) {
            throw new IllegalArgumentException("model.generation.max_tokens must be at least 1, got " + maxTokens);
        }
        return new TextGenerationSettings(
                string(model, "weights", ""), SettingValues.bool(model, "random_weights", true, "model."), format, device, maxContext, maxTokens,
                number(generation, "temperature", 1.0, "model.generation."),
                number(generation, "top_p", 1.0, "model.generation."));
    }

    /** The directory of the made tiny checkpoint: one per format, under the user's cache. */
    public Path tinyCheckpointDir(Path cacheRoot) {
        return cacheRoot.resolve("inferless").resolve("tiny-" + checkpointFormat);
    }

    public static Path defaultCacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        return xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value, String key) {
        if (value == null) return Map.of();
        if (value instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new IllegalArgumentException(key + " must be a mapping, got " + value);
    }

    private static String string(Map<String, Object> m, String key, String fallback) {
        Object v = m.get(key);
        if (v == null) return fallback;
        if (v instanceof String s) return s.trim();
        throw new IllegalArgumentException("model." + key + " must be a string, got " + v);
    }

    private static double number(Map<String, Object> m, String key, double fallback, String prefix) {
        Object v = m.get(key);
        if (v == null) return fallback;
        try {
            return v instanceof Number n ? n.doubleValue() : Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(prefix + key + " must be a number, got " + v);
        }
    }
}
