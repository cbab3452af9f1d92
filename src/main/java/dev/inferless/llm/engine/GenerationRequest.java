package dev.inferless.llm.engine;

import dev.inferless.llm.sampling.SamplingParams;
import java.util.List;

/**
 * One completion to generate: the prompt, the token budget and how to pick each token
 * ({@link SamplingParams}, validated there). {@code seed} null means a random seed; {@code stop} holds texts that
 * end generation and are not part of the output; {@code ignoreEos} keeps going past EOS (benchmarks);
 * {@code logprobs} null asks for no log-probabilities. {@code maxTokensMustFit}: the client asked for
 * {@code maxTokens}, so a prompt that leaves less room is refused (as OpenAI does) instead of clipping it.
 * {@code promptTokenIds}: a prompt given as token ids, used as they are (no BOS added); null when the
 * prompt is {@code prompt}'s text (then empty).
 */
public record GenerationRequest(
        String prompt,
        int maxTokens,
        SamplingParams sampling,
        Long seed,
        List<String> stop,
        boolean ignoreEos,
        LogprobsRequest logprobs,
        boolean maxTokensMustFit,
        List<Integer> promptTokenIds) {

    /** A prompt given as text. */
    public GenerationRequest(String prompt, int maxTokens, SamplingParams sampling, Long seed, List<String> stop,
                             boolean ignoreEos, LogprobsRequest logprobs, boolean maxTokensMustFit) {
        this(prompt, maxTokens, sampling, seed, stop, ignoreEos, logprobs, maxTokensMustFit, null);
    }

    public GenerationRequest(String prompt, int maxTokens, double temperature, double topP, int topK,
                             double repetitionPenalty, Long seed, List<String> stop, boolean ignoreEos) {
        this(prompt, maxTokens, temperature, topP, topK, repetitionPenalty, seed, stop, ignoreEos, null);
    }

    /** The sampling fields one by one, as requests name them; a bad one throws naming it. */
    public GenerationRequest(String prompt, int maxTokens, double temperature, double topP, int topK,
                             double repetitionPenalty, Long seed, List<String> stop, boolean ignoreEos,
                             LogprobsRequest logprobs) {
        this(prompt, maxTokens, new SamplingParams(temperature, topK, topP, repetitionPenalty), seed, stop, ignoreEos,
                logprobs, false);
    }

    public GenerationRequest {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is required");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be at least 1, got " + maxTokens);
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (stop.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("stop must not hold empty strings");
        }
        if (sampling == null) throw new IllegalArgumentException("sampling is required");
        if (promptTokenIds != null) {
            if (!prompt.isEmpty()) throw new IllegalArgumentException("prompt: give text or token ids, not both");
            promptTokenIds = List.copyOf(promptTokenIds);
        }
    }
}
