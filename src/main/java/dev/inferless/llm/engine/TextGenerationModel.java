package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The protocol-free core of a text-generation model repo: request inputs (prompt, max_tokens,
 * temperature, top_p, top_k, repetition_penalty, seed, stop, ignore_eos) to a {@link GenerationRequest},
 * and the result to outputs (generated_result, prompt_tokens, output_tokens, finish_reason).
 */
public final class TextGenerationModel {

    /** Stop strings are matched on the batching thread, for every token of every request: their work is bounded. */
    static final int MAX_STOP_STRINGS = 16;
    static final int MAX_STOP_CHARS = 4096;

    private final Generator generator;
    private final TextGenerationSettings settings;

    public TextGenerationModel(Generator generator, TextGenerationSettings settings) {
        this.generator = generator;
        this.settings = settings;
    }

    public Map<String, Object> infer(Map<String, Object> inputs, BooleanSupplier cancelled) {
        return outputs(generator.generate(request(inputs), cancelled, piece -> {}));
    }

    /** Sends one chunk {generated_result: piece} per text piece; returns the final outputs (full text and counts). */
    public Map<String, Object> inferStreaming(Map<String, Object> inputs, BooleanSupplier cancelled,
                                              Consumer<Map<String, Object>> send) {
        GenerationRequest request = request(inputs); // bad inputs fail before anything is sent
        return outputs(generator.generate(request, cancelled, piece -> send.accept(Map.of("generated_result", piece))));
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

    public static Map<String, Object> outputs(GenerationResult result) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generated_result", result.text());
        out.put("prompt_tokens", result.promptTokens());
        out.put("output_tokens", result.outputTokens());
        out.put("finish_reason", result.finishReason());
        return out;
    }

    public Generator generator() {
        return generator;
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
        if (list.size() > MAX_STOP_STRINGS) {
            throw new BadInputException("stop: at most " + MAX_STOP_STRINGS + " strings, got " + list.size());
        }
        long chars = 0;
        for (Object s : list) {
            if (!(s instanceof String)) {
                throw new BadInputException("stop must be a string or a list of strings, got " + s);
            }
            chars += ((String) s).length();
        }
        if (chars > MAX_STOP_CHARS) {
            throw new BadInputException("stop: at most " + MAX_STOP_CHARS + " characters in all, got " + chars);
        }
        return list.stream().map(String.class::cast).toList();
    }
}
