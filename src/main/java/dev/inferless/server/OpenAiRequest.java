package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.inferless.schema.InvalidInputException;
import dev.inferless.schema.RequestInput;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * An OpenAI completions or chat completions request body, checked field by field and mapped onto
 * the model's inputs ({@code prompt} or {@code messages}, {@code max_tokens}, {@code temperature},
 * {@code top_p}, {@code stop}, {@code seed}, {@code logprobs}; {@code presence_penalty},
 * {@code frequency_penalty} and {@code logit_bias} where the model declares them). Every field OpenAI defines is either
 * honoured or, at a value other than its default, rejected with a 400 naming it; OpenAI's ranges
 * apply. Extra fields pass through only where the model declares an input of that name ({@code top_k},
 * {@code repetition_penalty}, {@code ignore_eos}, as vLLM's extensions).
 *
 * <p>A completions prompt is text (the model's prompt input) or token ids (its {@code prompt_token_ids}
 * input, where it declares one). A request asks for {@code n} choices per prompt (completions take a
 * list of prompts): choice {@code p * n + i} is prompt {@code p}'s {@code i}-th, a model call of its
 * own whose seed, when the request gives one, is {@code seed + i} (as vLLM's): each choice is sampled
 * as the request with that seed and {@code n = 1} is (its tokens equal where the engine is
 * batch-invariant).
 *
 * @param choices each choice's model inputs, in the answer's index order
 * @param n choices per prompt
 * @param logprobs alternatives per token asked for (0 = the chosen token's only), or null for none
 */
record OpenAiRequest(String id, boolean chat, List<List<RequestInput>> choices, int n, boolean stream,
                     boolean includeUsage, Integer logprobs) {

    /** OpenAI's and vLLM's default for /v1/completions. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
    static final int MAX_COMPLETION_LOGPROBS = 5;
    static final int MAX_CHAT_TOP_LOGPROBS = 20;
    /** OpenAI's bound on n; also the most choices (prompts times n) one request may ask for. */
    static final int MAX_CHOICES = 128;

    /** Fields passed on under the same name. */
    private static final Set<String> SAMPLING = Set.of("temperature", "top_p", "seed");

    /** Fields accepted at their default only, since nothing here implements another value. */
    private static final Set<String> DEFAULT_ONLY = Set.of("suffix", "echo", "tools", "tool_choice", "functions", "function_call", "parallel_tool_calls",
            "response_format", "service_tier", "modalities", "audio", "prediction", "reasoning_effort",
            "web_search_options", "store", "metadata");

    static OpenAiRequest completions(JsonNode body, String modelName, Set<String> modelInputs, String promptInput) {
        return parse(body, false, modelName, modelInputs, promptInput);
    }

    static OpenAiRequest chat(JsonNode body, String modelName, Set<String> modelInputs, String promptInput) {
        return parse(body, true, modelName, modelInputs, promptInput);
    }

    private static OpenAiRequest parse(JsonNode body, boolean chat, String modelName, Set<String> modelInputs,
                                       String promptInput) {
        List<RequestInput> inputs = new ArrayList<>();
        List<JsonNode> prompts = List.of();
        Long seed = null;
        long n = 1;
        Long bestOf = null;
        boolean stream = false;
        boolean includeUsage = false;
        boolean streamOptions = false;
        Long maxTokens = null;
        Integer logprobs = null;
        boolean chatLogprobs = false;
        Integer topLogprobs = null;
        boolean sawText = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode v = field.getValue();
            if (v.isNull() && !name.equals("model") && !name.equals(chat ? "messages" : "prompt")) {
                continue; // null is every optional field's default
            }
            switch (name) {
                case "model" -> {
                    if (!v.isTextual()) throw bad(name, "model must be a string");
                    if (!v.asText().equals(modelName)) {
                        throw new ApiError(404, "The model '" + v.asText() + "' does not exist (this server serves '"
                                + modelName + "')", "model", "model_not_found");
                    }
                }
                case "stream" -> stream = bool(v, name);
                case "stream_options" -> {
                    if (!v.isObject()) throw bad(name, "stream_options must be an object");
                    for (Iterator<String> keys = v.fieldNames(); keys.hasNext(); ) {
                        String key = keys.next();
                        if (!key.equals("include_usage")) {
                            throw bad(name, "stream_options." + key + " is not supported (only include_usage)");
                        }
                    }
                    includeUsage = bool(v.path("include_usage").isMissingNode() ? null : v.get("include_usage"),
                            "stream_options.include_usage");
                    streamOptions = true;
                }
                case "n" -> n = intIn(v, name, 1, MAX_CHOICES);
                case "best_of" -> bestOf = intIn(v, name, 1, MAX_CHOICES);
                case "user" -> text(v, name); // an end-user id for the caller's own records: no effect on output
                case "prompt" -> {
                    if (chat) throw unknown(name, modelName, true);
                    prompts = prompts(v);
                    sawText = true;
                }
                case "messages" -> {
                    if (!chat) throw unknown(name, modelName, false);
                    if (!modelInputs.contains("messages")) {
                        throw bad(name, "model '" + modelName + "' takes no chat messages (it has no 'messages' input); "
                                + "use /v1/completions");
                    }
                    inputs.add(input(name, JsonNodeFactory.instance.textNode(ChatMessages.check(v))));
                    sawText = true;
                }
                case "max_tokens", "max_completion_tokens" -> {
                    if (name.equals("max_completion_tokens") && !chat) throw unknown(name, modelName, false);
                    long tokens = positiveInt(v, name);
                    if (maxTokens != null && maxTokens != tokens) {
                        throw bad(name, "max_tokens and max_completion_tokens disagree (" + maxTokens + " and " + tokens + ")");
                    }
                    maxTokens = tokens;
                }
                case "temperature" -> inputs.add(input(name, number(v, name, 0, 2)));
                case "top_p" -> {
                    number(v, name, 0, 1);
                    // top_p 0 keeps only the most likely token, as the smallest positive top_p does
                    inputs.add(input(name, v.asDouble() == 0 ? JsonNodeFactory.instance.numberNode(Double.MIN_VALUE) : v));
                }
                case "seed" -> {
                    if (!v.canConvertToExactIntegral() || !v.canConvertToLong()) throw bad(name, "seed must be an integer, got " + v);
                    seed = v.asLong();
                }
                case "stop" -> inputs.add(input(name, stop(v)));
                case "logit_bias" -> {
                    checkLogitBias(v);
                    if (modelInputs.contains(name)) {
                        inputs.add(input(name, JsonNodeFactory.instance.textNode(v.toString())));
                    } else if (!v.isEmpty()) {
                        throw bad(name, "model '" + modelName + "' takes no logit_bias (it has no 'logit_bias' input)");
                    }
                }
                case "presence_penalty", "frequency_penalty" -> {
                    number(v, name, -2, 2);
                    if (modelInputs.contains(name)) {
                        inputs.add(input(name, v));
                    } else if (v.asDouble() != 0) {
                        throw bad(name, "model '" + modelName + "' takes no " + name + " (it has no '" + name + "' input)");
                    }
                }
                case "logprobs" -> {
                    if (chat) {
                        chatLogprobs = bool(v, name);
                    } else {
                        logprobs = (int) intIn(v, name, 0, MAX_COMPLETION_LOGPROBS);
                    }
                }
                case "top_logprobs" -> {
                    if (!chat) throw unknown(name, modelName, false);
                    topLogprobs = (int) intIn(v, name, 0, MAX_CHAT_TOP_LOGPROBS);
                }
                default -> {
                    if (DEFAULT_ONLY.contains(name)) {
                        if (!isDefault(name, v)) {
                            throw bad(name, name + " is not supported (only its default value), got " + v);
                        }
                    } else if (modelInputs.contains(name) && !SAMPLING.contains(name)) {
                        inputs.add(input(name, v));
                    } else {
                        throw unknown(name, modelName, chat);
                    }
                }
            }
        }
        if (!sawText) {
            String field = chat ? "messages" : "prompt";
            throw bad(field, field + " is required");
        }
        if (streamOptions && !stream) {
            throw bad("stream_options", "stream_options is only allowed when stream is true");
        }
        if (chat) {
            if (topLogprobs != null && !chatLogprobs) {
                throw bad("top_logprobs", "top_logprobs needs logprobs: true");
            }
            if (chatLogprobs) logprobs = topLogprobs == null ? 0 : topLogprobs;
        }
        if (logprobs != null) {
            if (!modelInputs.contains("logprobs")) {
                throw bad("logprobs", "model '" + modelName + "' does not return logprobs (it has no 'logprobs' input)");
            }
            inputs.add(input("logprobs", JsonNodeFactory.instance.numberNode(logprobs)));
        }
        if (maxTokens == null && !chat && modelInputs.contains("max_tokens")) maxTokens = (long) COMPLETIONS_DEFAULT_MAX_TOKENS;
        if (maxTokens != null) inputs.add(input("max_tokens", JsonNodeFactory.instance.numberNode(maxTokens)));
        if (bestOf != null && bestOf != n) {
            throw bad("best_of", "best_of must equal n (" + n + "): choosing the best of more is not supported, got " + bestOf);
        }
        if (prompts.size() * n > MAX_CHOICES) {
            throw bad("n", "n (" + n + ") times the " + prompts.size() + " prompts asks for " + prompts.size() * n
                    + " choices, over the limit of " + MAX_CHOICES);
        }
        List<List<RequestInput>> choices = new ArrayList<>();
        for (JsonNode prompt : chat ? List.<JsonNode>of(JsonNodeFactory.instance.nullNode()) : prompts) {
            for (int i = 0; i < n; i++) {
                List<RequestInput> choice = new ArrayList<>(inputs);
                if (!chat && prompt.isTextual()) {
                    choice.add(input(promptInput, prompt));
                } else if (!chat) {
                    if (!modelInputs.contains("prompt_token_ids")) {
                        throw bad("prompt", "model '" + modelName + "' takes no token-id prompts (it has no"
                                + " 'prompt_token_ids' input); send the prompt as text");
                    }
                    choice.add(input("prompt_token_ids", prompt));
                }
                if (seed != null) choice.add(input("seed", JsonNodeFactory.instance.numberNode(seed + i)));
                choices.add(choice);
            }
        }
        String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        return new OpenAiRequest(id, chat, choices, (int) n, stream, includeUsage, logprobs);
    }

    private static RequestInput input(String name, JsonNode v) {
        try {
            return RequestInput.fromNested(name, v);
        } catch (InvalidInputException e) {
            throw bad(name, e.getMessage());
        }
    }

    /**
     * OpenAI's forms: a string, a list of strings, a list of token ids (one prompt), or a list of
     * such lists; each prompt a string or an array of token ids. At most MAX_CHOICES of them.
     */
    private static List<JsonNode> prompts(JsonNode v) {
        if (v.isTextual()) return List.of(v);
        if (isTokenIds(v)) return List.of(v);
        if (v.isArray() && !v.isEmpty() && v.size() <= MAX_CHOICES) {
            List<JsonNode> prompts = new ArrayList<>();
            boolean text = v.get(0).isTextual();
            for (JsonNode p : v) {
                if (text ? !p.isTextual() : !isTokenIds(p)) break;
                prompts.add(p);
            }
            if (prompts.size() == v.size()) return prompts;
        }
        throw bad("prompt", "prompt must be a string, a list of 1 to " + MAX_CHOICES + " strings, a non-empty list of"
                + " token ids, or a list of 1 to " + MAX_CHOICES + " such lists");
    }

    private static boolean isTokenIds(JsonNode v) {
        if (!v.isArray() || v.isEmpty()) return false;
        for (JsonNode id : v) {
            if (!id.canConvertToExactIntegral() || id.asLong() < 0 || id.asLong() > Integer.MAX_VALUE) return false;
        }
        return true;
    }

    private static JsonNode stop(JsonNode v) {
        if (v.isTextual() && !v.asText().isEmpty()) return v;
        if (v.isArray() && !v.isEmpty()) {
            boolean allText = true;
            for (JsonNode s : v) {
                allText &= s.isTextual() && !s.asText().isEmpty();
            }
            if (allText) return v;
        }
        throw bad("stop", "stop must be a non-empty string or a list of them");
    }

    /** OpenAI's form: an object of at most 300 token ids (as strings) to biases from -100 to 100. */
    private static void checkLogitBias(JsonNode v) {
        if (!v.isObject()) throw bad("logit_bias", "logit_bias must be an object of token ids to biases, got " + v);
        if (v.size() > 300) throw bad("logit_bias", "logit_bias may name at most 300 tokens, got " + v.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().matches("\\d{1,9}")) {
                throw bad("logit_bias", "logit_bias: keys are token ids, got \"" + e.getKey() + "\"");
            }
            number(e.getValue(), "logit_bias", -100, 100);
        }
    }

    /** The value every client may send by habit: OpenAI's default for the field. */
    private static boolean isDefault(String name, JsonNode v) {
        return switch (name) {
            case "echo", "parallel_tool_calls", "store" -> v.isBoolean() && !v.asBoolean();
            case "metadata" -> v.isObject() && v.isEmpty();
            case "tools", "functions" -> v.isArray() && v.isEmpty();
            case "tool_choice", "function_call" -> v.isTextual() && v.asText().equals("none");
            case "response_format" -> v.isObject() && v.path("type").asText().equals("text") && v.size() == 1;
            case "service_tier" -> v.isTextual() && (v.asText().equals("auto") || v.asText().equals("default"));
            case "modalities" -> v.isArray() && v.size() == 1 && v.get(0).asText().equals("text");
            case "suffix" -> v.isTextual() && v.asText().isEmpty();
            default -> false;
        };
    }

    private static long positiveInt(JsonNode v, String name) {
        if (!v.canConvertToExactIntegral() || v.asLong() < 1 || v.asLong() > Integer.MAX_VALUE) {
            throw bad(name, name + " must be an integer >= 1, got " + v);
        }
        return v.asLong();
    }

    private static long intIn(JsonNode v, String name, long min, long max) {
        if (!v.canConvertToExactIntegral() || v.asLong() < min || v.asLong() > max) {
            throw bad(name, name + " must be an integer from " + min + " to " + max + ", got " + v);
        }
        return v.asLong();
    }

    private static JsonNode number(JsonNode v, String name, double min, double max) {
        if (!v.isNumber() || !(v.asDouble() >= min && v.asDouble() <= max)) {
            throw bad(name, name + " must be a number from " + min + " to " + max + ", got " + v);
        }
        return v;
    }

    private static boolean bool(JsonNode v, String name) {
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw bad(name, name + " must be true or false, got " + v);
        return v.asBoolean();
    }

    private static void text(JsonNode v, String name) {
        if (!v.isTextual()) throw bad(name, name + " must be a string, got " + v);
    }

    private static ApiError unknown(String name, String modelName, boolean chat) {
        return bad(name, "unsupported field '" + name + "' (neither a " + (chat ? "chat completions" : "completions")
                + " field nor an input of model '" + modelName + "')");
    }

    static ApiError bad(String param, String message) {
        return new ApiError(400, message, param, null);
    }
}
