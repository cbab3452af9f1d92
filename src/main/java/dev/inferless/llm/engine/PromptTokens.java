package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import dev.inferless.llm.tokenizer.Tokenizer;

/** A prompt's tokens checked against the context window, and the output budget it leaves. */
record PromptTokens(int[] tokens, int budget) {

    /** The configured context window (0 = the model's max_position_embeddings), checked against the model's. */
    static int contextWindow(int configured, int modelWindow) {
        if (configured < 0 || configured > modelWindow) {
            throw new IllegalArgumentException("max_context must be between 0 (the model's) and the model's "
                    + modelWindow + ", got " + configured);
        }
        return configured == 0 ? modelWindow : configured;
    }

    /** @throws BadInputException when the prompt is empty or leaves no room for one output token */
    static PromptTokens of(Tokenizer tokenizer, String prompt, int maxTokens, int contextWindow) {
        int[] tokens = tokenizer.encode(prompt);
        if (tokens.length == 0) {
            throw new BadInputException("prompt is empty (and this tokenizer adds no BOS token)");
        }
        if (tokens.length + 1 > contextWindow) {
            throw new BadInputException(
                    "prompt has " + tokens.length + " tokens; the context window is " + contextWindow);
        }
        return new PromptTokens(tokens, Math.min(maxTokens, contextWindow - tokens.length));
    }
}
