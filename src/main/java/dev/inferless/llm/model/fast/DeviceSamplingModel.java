package dev.inferless.llm.model.fast;

import dev.inferless.llm.model.DecodeSession;

import java.util.List;

/**
 * A model whose sessions sample on the device ({@link DeviceSampling}) and whose decode step serves
 * several of them at once: continuous batching with only token ids crossing to the host.
 */
public interface DeviceSamplingModel {

    /**
     * Appends {@code tokens[i]} to {@code sessions.get(i)} (this model's, each prefilled with
     * {@link DeviceSampling#prefillAndSample}) in one step; returns each session's next sampled token.
     */
    int[] decodeAndSample(List<? extends DecodeSession> sessions, int[] tokens);
}
