package dev.inferless.llm.model.fast;

import dev.inferless.llm.sampling.TokenLogprobs;

/**
 * Tokens the device sampled, one per row of a step (or the one of a prompt), and the log-probabilities
 * computed beside them on the device for the rows whose request asks for them (null elsewhere; their
 * text is left empty).
 */
public record SampledTokens(int[] tokens, TokenLogprobs[] logprobs) {

    public SampledTokens {
        if (logprobs.length != tokens.length) {
            throw new IllegalArgumentException(tokens.length + " tokens but " + logprobs.length + " logprobs rows");
        }
    }

    /** Tokens with no row asking for log-probabilities. */
    public static SampledTokens of(int... tokens) {
        return new SampledTokens(tokens, new TokenLogprobs[tokens.length]);
    }
}
