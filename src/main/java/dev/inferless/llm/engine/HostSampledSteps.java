package dev.inferless.llm.engine;

import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/** Steps whose logits come to the host: one batched decode, then each sequence samples its own token. */
final class HostSampledSteps implements StepRunner {

    private final LanguageModel model;
    private final IntConsumer batchSizes;

    HostSampledSteps(LanguageModel model, IntConsumer batchSizes) {
        this.model = model;
        this.batchSizes = batchSizes;
    }

    /**
     * Prompts run in chunks; the logits of the last chunk's last position give the first token
     * (after a preemption the chunks recompute the cache: the next token is known already).
     */
    @Override
    public int prefill(Sequence s, int maxTokens) {
        boolean recompute = s.outputs > 0;
        int n = Math.min(maxTokens, s.fill.length - s.fed);
        float[] logits = s.session.append(Arrays.copyOfRange(s.fill, s.fed, s.fed + n));
        s.fed += n;
        if (s.fed == s.fill.length && !recompute) {
            Postprocess.sampled(s, logits);
        }
        return n;
    }

    @Override
    public void step(List<Sequence> sequences, Batch batch) {
        List<DecodeSession> sessions = sequences.stream().map(s -> s.session).toList();
        int[] tokens = sequences.stream().mapToInt(s -> s.nextToken).toArray();
        float[][] logits = model.decodeBatch(sessions, tokens); // a failure fails the batch
        batchSizes.accept(sequences.size());
        StepRunner.deliver(sequences, batch, i -> Postprocess.sampled(sequences.get(i), logits[i]));
    }
}
