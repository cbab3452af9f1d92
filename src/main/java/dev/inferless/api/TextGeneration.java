package dev.inferless.api;

import java.util.Map;
import java.util.function.Consumer;

/**
 * The runtime's LLM engine as a model repo sees it ({@link ModelContext#textGeneration()}): the
 * repo's config.yaml names the checkpoint and settings, the runtime loads and runs them, and the
 * repo's class only maps its inputs and outputs.
 */
public interface TextGeneration {

    /**
     * Generates from request inputs: {@code prompt}, {@code messages} (a JSON list of {"role",
     * "content"}, rendered by the checkpoint's chat template) or {@code prompt_token_ids} (token ids,
     * used as they are), and the options {@code max_tokens,
     * temperature, top_p, top_k, repetition_penalty, presence_penalty, frequency_penalty, seed, stop,
     * ignore_eos, logprobs} (absent ones take the repo's defaults; a bad one throws
     * {@link BadInputException} naming it before anything is generated). {@code onText}, when given, receives each piece of text as it is decoded; the
     * pieces add up to the completion's text. Concurrent calls share decode steps, and wait in the
     * engine's queue for a place in the batch ({@link OverCapacityException} when it is full). Once
     * {@code cancellation} is cancelled the generation ends at the next step, "cancelled".
     */
    Completion generate(Map<String, Object> inputs, CancellationToken cancellation, Consumer<Piece> onText);

    /**
     * A piece of generated text; {@code logprobs}, when the request asked for them, is the JSON list
     * of the tokens taken since the previous piece (one {"token", "logprob", "top"} each), else null.
     */
    record Piece(String text, String logprobs) {}

    /**
     * What one generation produced; {@code finishReason} is "stop", "length" or "cancelled";
     * {@code logprobs} (null when not asked) holds the tokens not handed with a {@link Piece}: all of
     * them without {@code onText}.
     */
    record Completion(String text, int promptTokens, int outputTokens, String finishReason, String logprobs) {}
}
