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

    /**
     * Runs the prompt and returns the first sampled token; {@code seed} seeds the device's sampler.
     * {@code logprobs}: the top alternatives (0 to 20) whose log-probabilities come with each of the
     * session's tokens, this one and its decode steps' ({@link DeviceSamplingModel#collectDecode});
     * -1: none. Once: first, or after chunks of the prompt appended ({@code append}); the device
     * computes the positions past those in the session's cache.
     */
    SampledTokens prefillAndSample(int[] tokens, SamplingParams params, long seed, int logprobs);
}
