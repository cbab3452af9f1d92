package dev.inferless.llm.engine;

import java.util.List;

/** Requests the engine tests use most. */
final class Requests {

    private Requests() {}

    /** Greedy, no stop sequences. */
    static GenerationRequest greedy(String prompt, int maxTokens) {
        return new GenerationRequest(prompt, maxTokens, 0, 1, 0, 1, null, List.of(), false);
    }
}
