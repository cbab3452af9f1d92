package dev.inferless.llm.engine;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.api.BadInputException;
import dev.inferless.llm.sampling.SamplingParams;
import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.llm.tokenizer.ChatTemplate;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Request inputs of a text-generation repo (prompt, chat messages or prompt_token_ids, max_tokens,
 * temperature, top_p, top_k, repetition_penalty, presence_penalty, frequency_penalty, logit_bias,
 * seed, stop, ignore_eos, logprobs) to a {@link GenerationRequest}; absent options take the repo's
 * defaults, a bad one is a {@link BadInputException} naming it.
 *
 * <p>{@code messages} (a JSON list of {"role", "content"}) becomes the prompt through the
 * checkpoint's {@link ChatTemplate}. An explicit max_tokens must fit the context window after the
 * prompt ({@link GenerationRequest#maxTokensMustFit}); the configured default is clipped to the room
 * left. Both are checked where the prompt is tokenized, once ({@link PromptTokens}).
 */
public final class GenerationInputs {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Stop strings are matched on the batching thread, for every token of every request: their work is bounded. */
    static final int MAX_STOP_STRINGS = 16;
    static final int MAX_STOP_CHARS = 4096;

    private final TextGenerationSettings settings;
    private final ChatTemplate chatTemplate;

    public GenerationInputs(TextGenerationSettings settings, ChatTemplate chatTemplate) {
        this.settings = settings;
        this.chatTemplate = chatTemplate;
    }

    /**
     * {@code logprobs} receives the generated tokens' log-probabilities when the inputs ask for them
     * (null: a {@code logprobs} input is refused).
     * Types are checked here; ranges once, by the records built ({@link GenerationRequest},
     * {@link dev.inferless.llm.sampling.SamplingParams}, {@link LogprobsRequest}), whose messages name the field.
     */
    public GenerationRequest request(Map<String, Object> inputs, Consumer<TokenLogprobs> logprobs) {
        try {
            return build(inputs, logprobs);
        } catch (BadInputException e) {
            throw e;
        } catch (IllegalArgumentException e) { // a record's range check (max_tokens 0, top_p 7, logprobs 99)
            throw new BadInputException(e.getMessage());
        }
    }

    private GenerationRequest build(Map<String, Object> inputs, Consumer<TokenLogprobs> logprobs) {
        List<Integer> tokenIds = promptTokenIds(inputs);
        String text = tokenIds != null ? "" : prompt(inputs);
        Object seed = single(inputs.get("seed"), "seed");
        int maxTokens = clampToInt(integer(inputs, "max_tokens", settings.defaultMaxTokens()));
        LogprobsRequest logprobsRequest = null;
        if (inputs.get("logprobs") != null) {
            if (logprobs == null) throw new BadInputException("logprobs is not supported by this model");
            logprobsRequest = new LogprobsRequest(clampToInt(integer(inputs, "logprobs", 0)), logprobs);
        }
        SamplingParams sampling = new SamplingParams(number(inputs, "temperature", settings.defaultTemperature()),
                clampToInt(integer(inputs, "top_k", 0)), number(inputs, "top_p", settings.defaultTopP()),
                number(inputs, "repetition_penalty", 1.0), number(inputs, "presence_penalty", 0),
                number(inputs, "frequency_penalty", 0), logitBias(inputs.get("logit_bias")));
        return new GenerationRequest(text, maxTokens, sampling, seed == null ? null : integer(inputs, "seed", 0),
                stops(inputs.get("stop")), bool(inputs, "ignore_eos"), logprobsRequest, inputs.get("max_tokens") != null,
                tokenIds);
    }

    /** The {@code prompt_token_ids} input (a prompt given as token ids, used as they are), or null when absent. */
    private static List<Integer> promptTokenIds(Map<String, Object> inputs) {
        Object value = inputs.get("prompt_token_ids");
        if (value == null) return null;
        if (inputs.get("prompt") != null || inputs.get("messages") != null) {
            throw new BadInputException("prompt_token_ids: give one of prompt, messages and prompt_token_ids, not several");
        }
        List<?> list = value instanceof List<?> l ? l : List.of(value);
        List<Integer> ids = new java.util.ArrayList<>(list.size());
        for (Object v : list) {
            if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || Math.abs(n.doubleValue()) > Integer.MAX_VALUE) {
                throw new BadInputException("prompt_token_ids must be a list of token ids, got " + v);
            }
            ids.add(n.intValue());
        }
        return ids;
    }

    /** The prompt: the {@code prompt} input, or the {@code messages} input through the chat template. */
    private String prompt(Map<String, Object> inputs) {
        Object prompt = single(inputs.get("prompt"), "prompt");
        Object messages = single(inputs.get("messages"), "messages");
        if (prompt != null && messages != null) {
            throw new BadInputException("prompt and messages: give one of them, not both");
        }
        if (messages != null) {
            if (!(messages instanceof String json)) throw new BadInputException("messages must be a JSON string");
            List<Map<String, String>> list;
            try {
                list = JSON.readValue(json, new TypeReference<List<Map<String, String>>>() {});
            } catch (IOException e) {
                throw new BadInputException("messages must be a JSON list of {\"role\", \"content\"}: " + e.getMessage());
            }
            if (list.isEmpty()) throw new BadInputException("messages must not be empty");
            return chatTemplate.render(list);
        }
        if (!(prompt instanceof String text)) {
            throw new BadInputException("prompt is required and must be a string");
        }
        return text;
    }

    /** {@code logit_bias}: a JSON object of token ids (as strings, OpenAI's form) to biases; absent: none. */
    private static Map<Integer, Double> logitBias(Object value) {
        Object v = single(value, "logit_bias");
        if (v == null) return Map.of();
        if (!(v instanceof String json)) throw new BadInputException("logit_bias must be a JSON object string, got " + v);
        Map<String, Object> raw;
        try {
            raw = JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
        } catch (IOException e) {
            throw new BadInputException("logit_bias must be a JSON object of token ids to numbers: " + e.getMessage());
        }
        Map<Integer, Double> bias = new java.util.HashMap<>();
        for (Map.Entry<String, Object> e : raw.entrySet()) {
            int token;
            try {
                token = Integer.parseInt(e.getKey());
            } catch (NumberFormatException notAnId) {
                throw new BadInputException("logit_bias: keys are token ids, got \"" + e.getKey() + "\"");
            }
            if (!(e.getValue() instanceof Number n)) {
                throw new BadInputException("logit_bias: the bias of token " + token + " must be a number, got " + e.getValue());
            }
            bias.put(token, n.doubleValue());
        }
        return bias;
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
