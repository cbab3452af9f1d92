package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.inferless.schema.TextGenerationIo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's answers ({@code /v1/completions}, {@code /v1/chat/completions}, {@code /v1/models}) built
 * from a text model's outputs: its text output ({@link TextGenerationIo}), and when the model reports them
 * {@code prompt_tokens}, {@code output_tokens}, {@code finish_reason} and {@code logprobs} (a JSON list
 * of {"token", "logprob", "top": [{"token", "logprob"}]}, one per generated token). The request side
 * is {@link OpenAiRequest}; the streamed form, {@link OpenAiStream}.
 */
final class OpenAiProtocol {

    private OpenAiProtocol() {}

    /** The non-streaming answer: the choices' outputs in index order. */
    static Map<String, Object> response(OpenAiRequest r, String model, long created, TextGenerationIo io,
                                        List<Map<String, Object>> outputs) {
        List<Map<String, Object>> choices = new ArrayList<>();
        long promptTokens = 0;
        long completionTokens = 0;
        for (int index = 0; index < outputs.size(); index++) {
            Map<String, Object> out = outputs.get(index);
            String text = text(out, io);
            Object logprobs = logprobs(r, out, new int[1]);
            choices.add(r.chat() ? chatChoice(index, "message", message(text), logprobs, finishReason(out))
                    : completionChoice(index, text, logprobs, finishReason(out)));
            if (index % r.n() == 0) promptTokens += count(out.get("prompt_tokens")); // each prompt once
            completionTokens += count(out.get("output_tokens"));
        }
        Map<String, Object> body = envelope(r, r.chat() ? "chat.completion" : "text_completion", created, model, choices);
        body.put("usage", usage(promptTokens, completionTokens));
        return body;
    }

    /** The model card: {@code max_model_len} when the model reported its context window. */
    static Map<String, Object> model(String name, long created, int contextLength) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", name);
        model.put("object", "model");
        model.put("created", created);
        model.put("owned_by", "inferless");
        if (contextLength > 0) model.put("max_model_len", contextLength);
        return model;
    }

    static Map<String, Object> models(String name, long created, int contextLength) {
        return Map.of("object", "list", "data", List.of(model(name, created, contextLength)));
    }

    static Map<String, Object> envelope(OpenAiRequest r, String object, long created, String model,
                                                List<Map<String, Object>> choices) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("object", object);
        m.put("created", created);
        m.put("model", model);
        m.put("choices", choices);
        return m;
    }

    static Map<String, Object> completionChoice(int index, String text, Object logprobs, String finishReason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", text);
        m.put("index", index);
        m.put("logprobs", logprobs);
        m.put("finish_reason", finishReason);
        return m;
    }

    static Map<String, Object> chatChoice(int index, String key, Map<String, Object> message, Object logprobs,
                                          String finishReason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", index);
        m.put(key, message);
        m.put("logprobs", logprobs);
        m.put("finish_reason", finishReason);
        return m;
    }

    private static Map<String, Object> message(String text) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", "assistant");
        m.put("content", text);
        m.put("refusal", null);
        return m;
    }

    /**
     * The model's per-token logprobs in the endpoint's form, or null when not asked for (or none in
     * this chunk). {@code textOffset} carries the completion text's length across a stream's chunks.
     */
    static Object logprobs(OpenAiRequest r, Map<String, Object> outputs, int[] textOffset) {
        Object raw = outputs.get("logprobs");
        if (r.logprobs() == null || raw == null || raw.toString().isEmpty()) return null;
        JsonNode entries;
        try {
            entries = Json.MAPPER.readTree(raw.toString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the model's logprobs output is not JSON: " + e.getMessage(), e);
        }
        if (entries.isEmpty()) return null;
        if (r.chat()) {
            List<Map<String, Object>> content = new ArrayList<>();
            for (JsonNode e : entries) {
                Map<String, Object> token = chatToken(e);
                List<Map<String, Object>> top = new ArrayList<>();
                for (JsonNode alt : e.path("top")) top.add(chatToken(alt));
                token.put("top_logprobs", top);
                content.add(token);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("content", content);
            m.put("refusal", null);
            return m;
        }
        List<String> tokens = new ArrayList<>();
        List<Double> tokenLogprobs = new ArrayList<>();
        List<Map<String, Double>> top = new ArrayList<>();
        List<Integer> offsets = new ArrayList<>();
        for (JsonNode e : entries) {
            String token = e.path("token").asText();
            tokens.add(token);
            tokenLogprobs.add(e.path("logprob").asDouble());
            Map<String, Double> alternatives = new LinkedHashMap<>();
            for (JsonNode alt : e.path("top")) alternatives.putIfAbsent(alt.path("token").asText(), alt.path("logprob").asDouble());
            alternatives.putIfAbsent(token, e.path("logprob").asDouble()); // the chosen token is always listed
            top.add(alternatives);
            offsets.add(textOffset[0]);
            textOffset[0] += token.length();
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tokens", tokens);
        m.put("token_logprobs", tokenLogprobs);
        m.put("top_logprobs", top);
        m.put("text_offset", offsets);
        return m;
    }

    private static Map<String, Object> chatToken(JsonNode e) {
        String token = e.path("token").asText();
        List<Integer> bytes = new ArrayList<>();
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) bytes.add(b & 0xff);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", token);
        m.put("logprob", e.path("logprob").asDouble());
        m.put("bytes", bytes);
        return m;
    }

    static String text(Map<String, Object> outputs, TextGenerationIo io) {
        Object t = outputs.get(io.textOutput());
        return t instanceof String s ? s : t == null ? "" : String.valueOf(t);
    }

    /** stop or length; a cancelled generation has none (as OpenAI's). */
    static String finishReason(Map<String, Object> outputs) {
        Object reason = outputs.get("finish_reason");
        if (reason == null) return "stop";
        return reason.toString().equals("length") ? "length" : reason.toString().equals("stop") ? "stop" : null;
    }

    static Map<String, Object> usage(long prompt, long completion) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", prompt);
        u.put("completion_tokens", completion);
        u.put("total_tokens", prompt + completion);
        return u;
    }

    static long count(Object v) {
        return v instanceof Number n ? n.longValue() : 0;
    }
}
