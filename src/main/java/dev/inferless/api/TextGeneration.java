package dev.inferless.api;

import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The runtime's LLM engine as a model repo sees it ({@link ModelContext#textGeneration()}): the
 * repo's config.yaml names the checkpoint and settings, the runtime loads and runs them, and the
 * repo's class only maps its inputs and outputs.
 */
public interface TextGeneration {

    /**
     * Generates from request inputs: {@code prompt} and the options {@code max_tokens, temperature,
     * top_p, top_k, repetition_penalty, seed, stop, ignore_eos} (absent ones take the repo's
     * defaults; a bad one throws {@link BadInputException} naming it before anything is generated).
     * {@code onText} receives each piece of text as it is decoded; the pieces add up to the
     * completion's text. Concurrent calls share decode steps.
     */
    Completion generate(Map<String, Object> inputs, BooleanSupplier cancelled, Consumer<String> onText);

    /** What one generation produced; {@code finishReason} is "stop", "length" or "cancelled". */
    record Completion(String text, int promptTokens, int outputTokens, String finishReason) {}
}
