package dev.inferless.llm.generate;

import dev.inferless.api.BadInputException;

import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.sampling.Sampler;
import dev.inferless.llm.tokenizer.IncrementalDetokenizer;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.BitSet;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Generates one completion: tokenize, check the context window, prefill, then one token per step
 * until EOS, a stop sequence, max_tokens (clipped to the context left) or cancellation. Streamed
 * pieces concatenate to exactly the returned text. Safe to share between concurrent requests: all
 * per-request state (session, sampler, detokenizer) lives in {@link #generate}.
 */
public final class Generator {

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final int contextWindow;

    /** {@code contextWindow} 0 means the model's own (max_position_embeddings). */
    public Generator(LanguageModel model, Tokenizer tokenizer, int contextWindow) {
        int modelWindow = model.config().maxPositions();
        if (contextWindow < 0 || contextWindow > modelWindow) {
            throw new IllegalArgumentException("max_context must be between 0 (the model's) and the model's "
                    + modelWindow + ", got " + contextWindow);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.contextWindow = contextWindow == 0 ? modelWindow : contextWindow;
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
        long start = System.nanoTime();
        PromptTokens checked = PromptTokens.of(tokenizer, request.prompt(), request.maxTokens(), contextWindow);
        int[] prompt = checked.tokens();
        int budget = checked.budget();
        Sampler sampler = new Sampler(request.samplingParams(), request.seed());
        BitSet seen = new BitSet(tokenizer.vocabSize());
        for (int t : prompt) seen.set(t);
        IncrementalDetokenizer detokenizer = tokenizer.newDetokenizer();
        StopSequences stops = new StopSequences(request.stop());
        StringBuilder text = new StringBuilder();
        Consumer<String> emit = piece -> {
            if (!piece.isEmpty()) {
                text.append(piece);
                onText.accept(piece);
            }
        };

        String finish;
        int outputs = 0;
        long firstToken = 0;
        long lastToken = 0;
        try (DecodeSession session = model.newSession(prompt.length + budget)) {
            TokenSource source = TokenSource.of(session, prompt, request, sampler, seen);
            int token = -1;
            while (true) {
                if (cancelled.getAsBoolean()) {
                    finish = GenerationResult.CANCELLED;
                    break;
                }
                token = outputs == 0 ? source.first() : source.next(token);
                outputs++;
                lastToken = System.nanoTime();
                if (outputs == 1) firstToken = lastToken;
                seen.set(token);
                if (token == tokenizer.eosId() && !request.ignoreEos()) {
                    finish = GenerationResult.STOP;
                    break;
                }
                emit.accept(stops.accept(detokenizer.add(token)));
                if (stops.stopped()) {
                    finish = GenerationResult.STOP;
                    break;
                }
                if (outputs == budget) {
                    finish = GenerationResult.LENGTH;
                    break;
                }
            }
        }
        // Text still held back (an unfinished byte run, a possible stop prefix) is final now.
        emit.accept(stops.accept(detokenizer.finish()));
        if (stops.stopped() && finish.equals(GenerationResult.LENGTH)) {
            finish = GenerationResult.STOP;
        }
        emit.accept(stops.flush());

        double ttftMs = outputs == 0 ? 0 : (firstToken - start) / 1e6;
        double decodeSeconds = (lastToken - firstToken) / 1e9;
        double tokensPerSecond = outputs > 1 && decodeSeconds > 0 ? (outputs - 1) / decodeSeconds : 0;
        return new GenerationResult(text.toString(), prompt.length, outputs, finish, ttftMs, tokensPerSecond);
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public int contextWindow() {
        return contextWindow;
    }
}
