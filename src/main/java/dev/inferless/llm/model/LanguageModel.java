package dev.inferless.llm.model;

import dev.inferless.llm.checkpoint.LlamaConfig;
import java.util.List;

/** A loaded causal language model: weights on a device, ready to open decode sessions. */
public interface LanguageModel extends AutoCloseable {

    LlamaConfig config();

    /** "cpu" or "gpu(0)" etc.: where the weights live. */
    String device();

    /** A new sequence with its own KV cache for up to {@code maxTokens} positions (prompt + output). */
    DecodeSession newSession(int maxTokens);

    /**
     * One decode step for several sequences at once (continuous batching): appends {@code tokens[i]}
     * to {@code sessions.get(i)} and returns its logits in {@code [i]}. Each session keeps its own KV
     * cache and position. This default steps them one by one; an engine overrides it to share the
     * step's weight reads among the sequences.
     */
    default float[][] decodeBatch(List<DecodeSession> sessions, int[] tokens) {
        if (sessions.size() != tokens.length) {
            throw new IllegalArgumentException(sessions.size() + " sessions but " + tokens.length + " tokens");
        }
        float[][] logits = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            logits[i] = sessions.get(i).decode(tokens[i]);
        }
        return logits;
    }

    /**
     * With {@code on}, every row of a decode step ({@link #decodeBatch}, and a device model's batched
     * steps) is computed bit for bit as it would be alone, whatever else the step holds
     * ({@code model.batch_invariant}). Batched rows may otherwise differ in the last bits, since the
     * order of a row's sums may depend on the batch's size. The default {@link #decodeBatch} steps
     * sessions one by one, so a model that keeps it has nothing to do; one that batches rows overrides this.
     */
    default void setBatchInvariant(boolean on) {}

    /** How many sessions may be open at once (a batch cannot be larger). */
    default int maxSessions() {
        return Integer.MAX_VALUE;
    }

    @Override
    void close();
}
