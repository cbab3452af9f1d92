package dev.inferless.llm.engine;

import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
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

    @Override
    public void step(List<Sequence> sequences, Batch batch) {
        List<DecodeSession> sessions = sequences.stream().map(Sequence::session).toList();
        int[] tokens = sequences.stream().mapToInt(Sequence::nextToken).toArray();
        float[][] logits = model.decodeBatch(sessions, tokens); // a failure fails the batch
        batchSizes.accept(sequences.size());
        StepRunner.deliver(sequences, batch, i -> sequences.get(i).accept(logits[i]));
    }
}
