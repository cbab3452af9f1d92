package dev.inferless.llm.sampling;

import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Picks next tokens for one sequence: logit bias, repetition penalty, presence and frequency
 * penalties, then greedy or temperature, top-k, top-p and a draw from its own random stream (so the
 * same seed gives the same tokens).
 */
public final class Sampler {

    private final SamplingParams params;
    private final SplittableRandom random;

    /** {@code seed} null draws a fresh random seed. */
    public Sampler(SamplingParams params, Long seed) {
        this.params = params;
        this.random = seed == null ? new SplittableRandom() : new SplittableRandom(seed);
    }

    /** Without the output penalties (their counts). */
    public int next(float[] logits, BitSet seen) {
        return next(logits, seen, null);
    }

    /**
     * {@code seen}: the tokens of the prompt and the output so far, for the repetition penalty;
     * {@code outputCounts}: how often each token is in the output so far, for the presence and
     * frequency penalties (null when they are off).
     */
    public int next(float[] logits, BitSet seen, int[] outputCounts) {
        double[] scores = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            scores[i] = logits[i];
        }
        LogitProcessors.applyLogitBias(scores, params.logitBias());
        LogitProcessors.applyRepetitionPenalty(scores, seen, params.repetitionPenalty());
        if (params.penalizesOutput()) {
            LogitProcessors.applyOutputPenalties(scores, outputCounts, params.presencePenalty(), params.frequencyPenalty());
        }
        if (params.greedy()) {
            return LogitProcessors.argmax(scores);
        }
        return LogitProcessors.draw(distribution(scores, params), random.nextDouble());
    }

    /** The distribution sampling draws from, after temperature, top-k and top-p. */
    static double[] distribution(double[] scores, SamplingParams params) {
        boolean[] keep = LogitProcessors.topK(scores, params.topK());
        double[] probs = LogitProcessors.softmax(scores, keep, params.temperature());
        if (params.topP() >= 1) {
            return probs; // top_p off (the reference default): no second pass over the vocabulary
        }
        return LogitProcessors.renormalize(probs, LogitProcessors.topP(probs, params.topP()));
    }
}
