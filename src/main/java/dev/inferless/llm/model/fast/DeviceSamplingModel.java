package dev.inferless.llm.model.fast;

import dev.inferless.llm.model.DecodeSession;

import java.util.List;

/**
 * A model whose sessions sample on the device ({@link DeviceSampling}) and whose decode step serves
 * several of them at once: continuous batching with only token ids crossing to the host. A step may
 * be launched before the previous one's tokens reach the host ({@link #submitDecode}), so the device
 * does not wait for the host between steps.
 */
public interface DeviceSamplingModel {

    /** A token that stands for the one the device sampled for that session at its previous step. */
    int TOKEN_ON_DEVICE = -1;

    /**
     * Launches one step: appends {@code tokens[i]} to {@code sessions.get(i)} (this model's, each
     * prefilled with {@link DeviceSampling#prefillAndSample}) and returns at once; {@link #collectDecode}
     * gives each session's next sampled token. {@code tokens[i]} may be {@link #TOKEN_ON_DEVICE} where
     * the session's previous step was launched here. At most two steps in flight.
     */
    void submitDecode(List<? extends DecodeSession> sessions, int[] tokens);

    /**
     * Waits for the oldest step launched by {@link #submitDecode}; its tokens, in its sessions' order,
     * with the log-probabilities of those whose sessions ask for them.
     */
    SampledTokens collectDecode();
}
