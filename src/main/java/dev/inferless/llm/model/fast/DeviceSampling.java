package dev.inferless.llm.model.fast;

import dev.inferless.llm.sampling.SamplingParams;

/**
 * A narrow addition to {@link dev.inferless.llm.model.DecodeSession}: sampling on the device, so the
 * only per-token transfer is the chosen token id. Same semantics as Hugging Face's processors
 * (repetition penalty over prompt and output, temperature, top-k, top-p; temperature 0 = greedy).
 * A generator uses it when the session implements it and needs no logits on the host; decode steps
 * then run batched, through its {@link DeviceSamplingModel}.
 */
public interface DeviceSampling {

    /** Runs the prompt and returns the first sampled token; {@code seed} seeds the device's sampler. Only once, first. */
    int prefillAndSample(int[] tokens, SamplingParams params, long seed);
}
