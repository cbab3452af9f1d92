package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.inferless.api.StreamOutputHandler;
import dev.inferless.schema.InvalidInputException;
import dev.inferless.schema.RequestInput;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * OpenAI's legacy completions API ({@code POST /v1/completions}, {@code GET /v1/models}) mapped
 * onto a model's inputs ({@code prompt}, {@code max_tokens}, {@code temperature}, {@code top_p},
 * {@code top_k}, {@code stop}, {@code seed}) and outputs ({@code generated_result}, and when the
 * model reports them {@code prompt_tokens}, {@code output_tokens}, {@code finish_reason}).
 * Only n=1 and echo=false; sampling fields the model does not take are rejected by its schema;
 * other inputs the model declares pass through as they are.
 */
final class OpenAiProtocol {

    /** Fields passed on to the model under the same name. */
    private static final Set<String> MODEL_FIELDS =
            Set.of("prompt", "max_tokens", "temperature", "top_p", "top_k", "stop", "seed", "repetition_penalty");

    /** Fields clients send by habit: accepted at their neutral value only. */
    private static final Set<String> NEUTRAL_FIELDS =
            Set.of("logprobs", "frequency_penalty", "presence_penalty", "best_of", "logit_bias", "suffix");

    private OpenAiProtocol() {}

    record Completion(String id, List<RequestInput> inputs, boolean stream) {}

    /** {@code modelInputs}: the model's own inputs, which pass through too (extensions such as a test's knobs). */
    static Completion parse(JsonNode body, String modelName, Set<String> modelInputs) throws InvalidInputException {
        List<RequestInput> inputs = new ArrayList<>();
        boolean stream = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode v = field.getValue();
            switch (name) {
                case "model" -> {
                    if (!v.isTextual()) throw bad("model must be a string");
                    if (!v.asText().equals(modelName)) {
                        throw new ApiError(404, "unknown model '" + v.asText() + "' (this server serves '" + modelName + "')");
                    }
                }
                case "stream" -> stream = bool(v, "stream");
                case "n" -> {
                    if (!v.isNull() && !(v.canConvertToExactIntegral() && v.asLong() == 1)) {
                        throw bad("n: only n=1 is supported, got " + v);
                    }
                }
                case "echo" -> {
                    if (bool(v, "echo")) throw bad("echo: only echo=false is supported");
                }
                case "user", "stream_options" -> { } // no effect here: usage always comes in the final chunk
                case "prompt" -> inputs.add(RequestInput.fromNested(name, prompt(v)));
                case "stop" -> {
                    if (!v.isNull()) inputs.add(RequestInput.fromNested(name, stop(v)));
                }
                default -> {
                    if (MODEL_FIELDS.contains(name) || modelInputs.contains(name)) {
                        if (!v.isNull()) inputs.add(RequestInput.fromNested(name, checked(name, v)));
                    } else if (NEUTRAL_FIELDS.contains(name)) {
                        if (!neutral(v)) throw bad(name + " is not supported (only its default value)");
                    } else {
                        throw bad("unsupported field '" + name + "' (neither a completions field nor an input of model '"
                                + modelName + "')");
                    }
                }
            }
        }
        if (inputs.stream().noneMatch(i -> i.name().equals("prompt"))) {
            throw bad("prompt is required");
        }
        return new Completion("cmpl-" + UUID.randomUUID().toString().replace("-", ""), inputs, stream);
    }

    /** A string, or a list of exactly one string (batched prompts need n prompts at once: not supported). */
    private static JsonNode prompt(JsonNode v) throws InvalidInputException {
        if (v.isTextual()) return v;
        if (v.isArray() && v.size() == 1 && v.get(0).isTextual()) return v.get(0);
        throw bad("prompt must be a string (or a list of one string)");
    }

    private static JsonNode stop(JsonNode v) throws InvalidInputException {
        if (v.isTextual() && !v.asText().isEmpty()) return v;
        if (v.isArray() && !v.isEmpty()) {
            for (JsonNode s : v) {
                if (!s.isTextual() || s.asText().isEmpty()) throw bad("stop must be a non-empty string or a list of them");
            }
            return v;
        }
        throw bad("stop must be a non-empty string or a list of them");
    }

    /** Range checks OpenAI makes, so a bad value is a 400 naming the field before the model sees it. */
    private static JsonNode checked(String name, JsonNode v) throws InvalidInputException {
        switch (name) {
            case "max_tokens" -> {
                if (!v.canConvertToExactIntegral() || v.asLong() < 1 || v.asLong() > Integer.MAX_VALUE) {
                    throw bad("max_tokens must be an integer >= 1, got " + v);
                }
            }
            case "top_k" -> {
                if (!v.canConvertToExactIntegral() || v.asLong() < 0 || v.asLong() > Integer.MAX_VALUE) {
                    throw bad("top_k must be an integer >= 0 (0 = off), got " + v);
                }
            }
            case "seed" -> {
                if (!v.canConvertToExactIntegral() || !v.canConvertToLong()) {
                    throw bad("seed must be an integer, got " + v);
                }
            }
            case "temperature" -> number(v, name, 0, Double.MAX_VALUE, false);
            case "top_p" -> number(v, name, 0, 1, true);
            case "repetition_penalty" -> number(v, name, 0, Double.MAX_VALUE, true);
            default -> { }
        }
        return v;
    }

    private static void number(JsonNode v, String name, double min, double max, boolean exclusiveMin)
            throws InvalidInputException {
        double d = v.isNumber() ? v.asDouble() : Double.NaN;
        if (!(exclusiveMin ? d > min : d >= min) || !(d <= max)) {
            throw bad(name + " must be a number " + (exclusiveMin ? "> " : ">= ") + min
                    + (max < Double.MAX_VALUE ? " and <= " + max : "") + ", got " + v);
        }
    }

    private static boolean bool(JsonNode v, String name) throws InvalidInputException {
        if (v.isNull()) return false;
        if (!v.isBoolean()) throw bad(name + " must be true or false, got " + v);
        return v.asBoolean();
    }

    private static boolean neutral(JsonNode v) {
        return v.isNull() || (v.isNumber() && (v.asDouble() == 0 || v.asDouble() == 1)) || (v.isObject() && v.isEmpty())
                || (v.isTextual() && v.asText().isEmpty());
    }

    private static InvalidInputException bad(String message) {
        return new InvalidInputException(message);
    }

    /** The non-streaming answer. */
    static Map<String, Object> response(Completion c, String model, long created, Map<String, Object> outputs) {
        Map<String, Object> body = envelope(c.id(), "text_completion", created, model,
                choice(text(outputs), finishReason(outputs.get("finish_reason"))));
        body.put("usage", usage(outputs));
        return body;
    }

    /** Turns the model's chunks into completion chunks; the last carries finish_reason and usage. */
    static StreamOutputHandler stream(SseWriter sse, Completion c, String model, long created) {
        return new StreamOutputHandler() {
            private final Map<String, Object> totals = new LinkedHashMap<>();

            @Override
            public void send(Map<String, Object> chunk) {
                String text = text(chunk);
                boolean last = chunk.containsKey("finish_reason");
                if (!text.isEmpty() || !last) {
                    sse.data(envelope(c.id(), "text_completion", created, model, choice(text, null)));
                }
                for (String k : List.of("prompt_tokens", "output_tokens", "finish_reason")) {
                    if (chunk.containsKey(k)) totals.put(k, chunk.get(k));
                }
            }

            @Override
            public void finish() {
                Map<String, Object> end = envelope(c.id(), "text_completion", created, model,
                        choice("", finishReason(totals.getOrDefault("finish_reason", "stop"))));
                end.put("usage", usage(totals));
                sse.data(end);
                sse.done();
            }
        };
    }

    static Map<String, Object> models(String name, long created) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", name);
        model.put("object", "model");
        model.put("created", created);
        model.put("owned_by", "inferless");
        return Map.of("object", "list", "data", List.of(model));
    }

    private static Map<String, Object> envelope(String id, String object, long created, String model,
                                                Map<String, Object> choice) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("object", object);
        m.put("created", created);
        m.put("model", model);
        m.put("choices", List.of(choice));
        return m;
    }

    private static Map<String, Object> choice(String text, String finishReason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", text);
        m.put("index", 0);
        m.put("logprobs", null);
        m.put("finish_reason", finishReason);
        return m;
    }

    private static String text(Map<String, Object> outputs) {
        Object t = outputs.get("generated_result");
        return t instanceof String s ? s : t == null ? "" : String.valueOf(t);
    }

    private static String finishReason(Object reason) {
        return reason == null ? "stop" : reason.toString();
    }

    private static Map<String, Object> usage(Map<String, Object> outputs) {
        long prompt = count(outputs.get("prompt_tokens"));
        long completion = count(outputs.get("output_tokens"));
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    private static long count(Object v) {
        return v instanceof Number n ? n.longValue() : 0;
    }
}
