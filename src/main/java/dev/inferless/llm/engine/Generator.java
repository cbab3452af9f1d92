package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Generates one completion: tokenize, check the context window, prefill, then one token per step
 * until EOS, a stop sequence, max_tokens (clipped to the context left) or cancellation. Streamed
 * pieces concatenate to exactly the returned text. Safe to share between concurrent requests: all
 * per-request state (session, sampler, detokenizer) lives in a {@link Sequence} run alone.
 */
public final class Generator {

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final int contextWindow;

    /** {@code contextWindow} 0 means the model's own (max_position_embeddings). */
    public Generator(LanguageModel model, Tokenizer tokenizer, int contextWindow) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.contextWindow = PromptTokens.contextWindow(contextWindow, model.config().maxPositions());
    }

    public GenerationResult generate(GenerationRequest request) {
        return generate(request, () -> false, piece -> {});
    }

    /**
     * @param cancelled checked before each token; once true, generation ends with "cancelled"
     * @param onText    receives the text pieces as they become final
     * @throws BadInputException when the prompt leaves no room for a token in the context window
     */
    public GenerationResult generate(GenerationRequest request, BooleanSupplier cancelled, Consumer<String> onText) {
        PromptTokens checked = PromptTokens.of(tokenizer, request.prompt(), request.maxTokens(), contextWindow);
        Sequence sequence = new Sequence(request, checked.tokens(), checked.budget(), tokenizer, cancelled, onText);
        try {
            sequence.runAlone(model);
        } finally {
            sequence.closeSession();
        }
        return sequence.complete();
    }

    public int contextWindow() {
        return contextWindow;
    }
}
