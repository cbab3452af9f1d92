package dev.inferless.llm.engine;

import java.util.List;

/**
 * How one decode step over the decoding sequences runs (nano-vllm's model runner, seen from the
 * scheduler): {@link HostSampledSteps} brings logits to the host and samples there,
 * {@link DeviceSampledSteps} samples on the device and launches steps ahead.
 */
interface StepRunner {

    /** What a runner needs to know about, and tell, the sequences of its steps. */
    interface Batch {
        /** False once the sequence left the batch (failed or retired): a late token is dropped. */
        boolean live(Sequence sequence);

        /** The sequence's own failure (a sampling or delivery error): it alone leaves the batch. */
        void failed(Sequence sequence, RuntimeException e);
    }

    /**
     * Runs the next chunk of {@code sequence}'s prompt (its session open), at most {@code maxTokens};
     * after the last chunk it takes the first token. Returns the prompt tokens run.
     */
    int prefill(Sequence sequence, int maxTokens);

    /**
     * Whether a prompt should run whole when no sequence decodes (there is nothing for its chunks to
     * let through): where every pass has a fixed cost, one pass is the cheapest.
     */
    default boolean prefillsWholeWhenAlone() {
        return false;
    }

    /** Runs one step over {@code sequences} (decoding, not finished); a failure of the whole step is thrown. */
    void step(List<Sequence> sequences, Batch batch);

    /** Takes the tokens of the steps still in flight, for the live sequences; none is in flight afterwards. */
    default void finishInFlight(Batch batch) {}

    /** After a failure or at shutdown: waits out the steps in flight, delivering nothing. */
    default void abandonInFlight() {}

    /** Runs {@code body} for each sequence; a failure drops that sequence only. */
    static void deliver(List<Sequence> sequences, Batch batch, java.util.function.IntConsumer body) {
        for (int i = 0; i < sequences.size(); i++) {
            try {
                body.accept(i);
            } catch (RuntimeException e) {
                batch.failed(sequences.get(i), e);
            }
        }
    }
}
