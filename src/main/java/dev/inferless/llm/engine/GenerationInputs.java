package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import java.util.List;
import java.util.Map;

/**
 * Request inputs of a text-generation repo (prompt, max_tokens, temperature, top_p, top_k,
 * repetition_penalty, seed, stop, ignore_eos) to a {@link GenerationRequest}; absent options take
 * the repo's defaults, a bad one is a {@link BadInputException} naming it.
 */
public final class GenerationInputs {

    private final TextGenerationSettings settings;

    public GenerationInputs(TextGenerationSettings settings) {
        this.settings = settings;
    }

    public GenerationRequest request(Map<String, Object> inputs) {
        Object prompt = single(inputs.get("prompt"), "prompt");
        if (!(prompt instanceof String text)) {
            throw new BadInputException("prompt is required and must be a string");
        }
        Object seed = single(inputs.get("seed"), "seed");
        return new GenerationRequest(
                text,
                clampToInt(integer(inputs, "max_tokens", settings.defaultMaxTokens())),
                number(inputs, "temperature", settings.defaultTemperature()),
                number(inputs, "top_p", settings.defaultTopP()),
                clampToInt(integer(inputs, "top_k", 0)),
                number(inputs, "repetition_penalty", 1.0),
                seed == null ? null : integer(inputs, "seed", 0),
                stops(inputs.get("stop")),
                bool(inputs, "ignore_eos"));
    }

    /** An input of shape [1] arrives as a plain value; a one-element list is accepted too. */
    private static Object single(Object value, String name) {
        if (value instanceof List<?> list) {
            if (list.size() != 1) {
                throw new BadInputException(name + " must be a single value, got " + list.size() + " values");
            }
            return list.get(0);
        }
        return value;
    }

    private static long integer(Map<String, Object> inputs, String name, long fallback) {
        Object v = single(inputs.get(name), name);
        if (v == null) return fallback;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue())) {
            return n.longValue();
        }
        throw new BadInputException(name + " must be an integer, got " + v);
    }

    /** Out-of-range values keep their sign, so validation still names the field (max_tokens is clipped to the context anyway). */
    private static int clampToInt(long value) {
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, value));
    }

    private static double number(Map<String, Object> inputs, String name, double fallback) {
        Object v = single(inputs.get(name), name);
        if (v == null) return fallback;
        if (v instanceof Number n) return n.doubleValue();
        throw new BadInputException(name + " must be a number, got " + v);
    }

    private static boolean bool(Map<String, Object> inputs, String name) {
        Object v = single(inputs.get(name), name);
        if (v == null) return false;
        if (v instanceof Boolean b) return b;
        throw new BadInputException(name + " must be true or false, got " + v);
    }

    private static List<String> stops(Object value) {
        if (value == null) return List.of();
        List<?> list = value instanceof List<?> l ? l : List.of(value);
        for (Object s : list) {
            if (!(s instanceof String)) {
                throw new BadInputException("stop must be a string or a list of strings, got " + s);
            }
        }
        return list.stream().map(String.class::cast).toList();
    }
}
