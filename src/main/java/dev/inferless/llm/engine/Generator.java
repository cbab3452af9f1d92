package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import dev.inferless.api.CancellationToken;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.PagedKvModel;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.List;
import java.util.function.Consumer;

/**
 * Generates one completion: tokenize, check the context window, prefill, then one token per step
 * until EOS, a stop sequence, max_tokens (clipped to the context left) or cancellation. Streamed
 * pieces concatenate to exactly the returned text. Safe to share between concurrent requests: all
 * per-request state (session, sampler, text) lives in a {@link Sequence} run alone.
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
        return generate(request, CancellationToken.untimed(), piece -> {});
    }

    /**
     * @param cancellation checked before each token; once cancelled, generation ends with "cancelled"
     * @param onText    receives the text pieces as they become final
     * @throws BadInputException when the prompt leaves no room for a token in the context window
     */
    public GenerationResult generate(GenerationRequest request, CancellationToken cancellation, Consumer<String> onText) {
        PromptTokens checked = PromptTokens.of(tokenizer, request, contextWindow);
        Sequence sequence = Sequence.start(request, checked, tokenizer, cancellation, onText);
        try {
            run(sequence);
        } finally {
            sequence.closeSession();
        }
        return Postprocess.complete(sequence);
    }

    /**
     * Its session: on a paged model, on blocks for every position the sequence may take, from a pool
     * of its own (it runs alone).
     */
    private DecodeSession openAlone(Sequence sequence) {
        if (!(model instanceof PagedKvModel paged)) {
            return model.newSession(sequence.capacity());
        }
        BlockManager blocks = new BlockManager(paged.kvBlocks(), paged.kvBlockSize(), false);
        BlockManager.BlockTable table = blocks.allocate(sequence.fill);
        if (table == null || !blocks.grow(table, sequence.capacity())) {
            throw new IllegalStateException("the KV cache's " + paged.kvBlocks() + " blocks of " + paged.kvBlockSize()
                    + " positions cannot hold " + sequence.capacity() + " positions");
        }
        return paged.newSession(sequence.capacity(), table.ids(), 0); // no prefix caching: nothing cached
    }

    /** The prompt, then one token per step until it finishes; device-sampled steps run one ahead, as in a batch. */
    private void run(Sequence sequence) {
        sequence.session = openAlone(sequence);
        if (!sequence.samplesOnDevice()) {
            new HostSampledSteps(model, size -> {}).prefill(sequence, Integer.MAX_VALUE);
            while (!sequence.finished()) {
                Postprocess.sampled(sequence, sequence.session.decode(sequence.nextToken));
            }
            return;
        }
        DeviceSampledSteps steps = new DeviceSampledSteps(model, size -> {});
        steps.prefill(sequence, Integer.MAX_VALUE);
        StepRunner.Batch alone = new StepRunner.Batch() {
            public boolean live(Sequence s) {
                return true;
            }

            public void failed(Sequence s, RuntimeException e) {
                throw e;
            }
        };
        try {
            while (!Postprocess.cancelIfRequested(sequence) && !sequence.finished()) {
                steps.step(List.of(sequence), alone);
            }
            steps.finishInFlight(alone);
        } finally {
            steps.abandonInFlight(); // after a failure: wait out the step in flight, deliver nothing
        }
    }
}
