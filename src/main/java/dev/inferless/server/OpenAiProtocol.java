package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.inferless.api.StreamOutputHandler;
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
 * is {@link OpenAiRequest}.
 */
final class OpenAiProtocol {

    private OpenAiProtocol() {}

    /** The non-streaming answer. */
    static Map<String, Object> response(OpenAiRequest r, String model, long created, TextGenerationIo io,
                                        Map<String, Object> outputs) {
        String text = text(outputs, io);
        Map<String, Object> choice = r.chat()
                ? chatChoice("message", message(text), logprobs(r, outputs, new int[1]), finishReason(outputs))
                : completionChoice(text, logprobs(r, outputs, new int[1]), finishReason(outputs));
        Map<String, Object> body = envelope(r, r.chat() ? "chat.completion" : "text_completion", created, model, List.of(choice));
        body.put("usage", usage(outputs));
        return body;
    }

    /**
     * Turns the model's chunks into OpenAI chunks: chat's first carries the assistant role, each
     * text piece one chunk, the last the finish reason (none when the request was cancelled), then
     * with {@code stream_options.include_usage} one chunk with no choices and the usage.
     */
    static StreamOutputHandler stream(SseWriter sse, OpenAiRequest r, String model, long created, TextGenerationIo io) {
        String object = r.chat() ? "chat.completion.chunk" : "text_completion";
        return new StreamOutputHandler() {
            private final Map<String, Object> totals = new LinkedHashMap<>();
            private final int[] textOffset = new int[1];
            private boolean started;

            @Override
            public void send(Map<String, Object> chunk) {
                if (r.chat() && !started) {
                    Map<String, Object> role = new LinkedHashMap<>();
                    role.put("role", "assistant");
                    role.put("content", "");
                    event(chatChoice("delta", role, null, null));
                }
                started = true;
                String text = text(chunk, io);
                Object logprobs = logprobs(r, chunk, textOffset);
                if (!text.isEmpty() || logprobs != null) {
                    event(r.chat() ? chatChoice("delta", Map.of("content", text), logprobs, null)
                            : completionChoice(text, logprobs, null));
                }
                for (String k : List.of("prompt_tokens", "output_tokens", "finish_reason")) {
                    if (chunk.containsKey(k)) totals.put(k, chunk.get(k));
                }
            }

            @Override
            public void finish() {
                String reason = totals.containsKey("finish_reason") ? finishReason(totals) : "stop";
                if (reason != null) {
                    event(r.chat() ? chatChoice("delta", Map.of(), null, reason) : completionChoice("", null, reason));
                }
                if (r.includeUsage()) {
                    Map<String, Object> last = envelope(r, object, created, model, List.of());
                    last.put("usage", usage(totals));
                    sse.data(last);
                }
                sse.done();
            }

            private void event(Map<String, Object> choice) {
                Map<String, Object> body = envelope(r, object, created, model, List.of(choice));
                if (r.includeUsage()) body.put("usage", null);
                sse.data(body);
            }
        };
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

    private static Map<String, Object> envelope(OpenAiRequest r, String object, long created, String model,
                                                List<Map<String, Object>> choices) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("object", object);
        m.put("created", created);
        m.put("model", model);
        m.put("choices", choices);
        return m;
    }

    private static Map<String, Object> completionChoice(String text, Object logprobs, String finishReason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", text);
        m.put("index", 0);
        m.put("logprobs", logprobs);
        m.put("finish_reason", finishReason);
        return m;
    }

    private static Map<String, Object> chatChoice(String key, Map<String, Object> message, Object logprobs,
                                                  String finishReason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", 0);
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
    private static Object logprobs(OpenAiRequest r, Map<String, Object> outputs, int[] textOffset) {
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

    private static String text(Map<String, Object> outputs, TextGenerationIo io) {
        Object t = outputs.get(io.textOutput());
        return t instanceof String s ? s : t == null ? "" : String.valueOf(t);
    }

    /** stop or length; a cancelled generation has none (as OpenAI's). */
    private static String finishReason(Map<String, Object> outputs) {
        Object reason = outputs.get("finish_reason");
        if (reason == null) return "stop";
        return reason.toString().equals("length") ? "length" : reason.toString().equals("stop") ? "stop" : null;
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
