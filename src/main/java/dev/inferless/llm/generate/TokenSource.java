package dev.inferless.llm.generate;

import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.fast.DeviceSampling;
import dev.inferless.llm.model.fast.SamplingSettings;
import dev.inferless.llm.sampling.Sampler;
import dev.inferless.llm.sampling.SamplingParams;

import java.util.BitSet;

/**
 * Where a sequence's next token comes from: the session's own device sampler when it has one (only
 * the token id crosses to the host), else the Java sampler over the logits the session returns.
 */
interface TokenSource {

    /** Runs the prompt; returns the first output token. */
    int first();

    /** Appends {@code previous}; returns the next token. */
    int next(int previous);

    /** {@code seen} is the prompt and output so far (the Java sampler's repetition penalty); the caller adds each token. */
    static TokenSource of(DecodeSession session, int[] prompt, GenerationRequest request, Sampler sampler, BitSet seen) {
        if (session instanceof DeviceSampling device) {
            SamplingParams p = request.samplingParams();
            long seed = request.seed() != null ? request.seed() : new java.util.SplittableRandom().nextLong();
            SamplingSettings settings = new SamplingSettings(p.temperature(), p.topK(), p.topP(), p.repetitionPenalty(), seed);
            return new TokenSource() {
                public int first() {
                    return device.prefillAndSample(prompt, settings);
                }

                public int next(int previous) {
                    return device.decodeAndSample(previous);
                }
            };
        }
        return new TokenSource() {
            public int first() {
                return sampler.next(session.prefill(prompt), seen);
            }

            public int next(int previous) {
                return sampler.next(session.decode(previous), seen);
            }
        };
    }
}
