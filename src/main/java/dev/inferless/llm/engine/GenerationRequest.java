package dev.inferless.llm.engine;

import dev.inferless.llm.sampling.SamplingParams;
import java.util.List;

/**
 * One completion to generate. {@code seed} null means a random seed; {@code stop} holds texts that
 * end generation and are not part of the output; {@code ignoreEos} keeps going past EOS (benchmarks);
 * {@code logprobs} null asks for no log-probabilities.
 */
public record GenerationRequest(
        String prompt,
        int maxTokens,
        double temperature,
        double topP,
        int topK,
        double repetitionPenalty,
        Long seed,
        List<String> stop,
        boolean ignoreEos,
        LogprobsRequest logprobs) {

    public GenerationRequest(String prompt, int maxTokens, double temperature, double topP, int topK,
                             double repetitionPenalty, Long seed, List<String> stop, boolean ignoreEos) {
        this(prompt, maxTokens, temperature, topP, topK, repetitionPenalty, seed, stop, ignoreEos, null);
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
            throw new IllegalArgumentException("stop sequences must not be empty strings");
        }
        samplingParams(temperature, topK, topP, repetitionPenalty); // validates, naming the field
    }

    /** Greedy, no stop sequences: the shape tests and benchmarks use most. */
    public static GenerationRequest greedy(String prompt, int maxTokens) {
        return new GenerationRequest(prompt, maxTokens, 0, 1, 0, 1, null, List.of(), false);
    }

    public SamplingParams samplingParams() {
        return samplingParams(temperature, topK, topP, repetitionPenalty);
    }

    private static SamplingParams samplingParams(double temperature, int topK, double topP, double repetitionPenalty) {
        return new SamplingParams(temperature, topK, topP, repetitionPenalty);
    }
}
