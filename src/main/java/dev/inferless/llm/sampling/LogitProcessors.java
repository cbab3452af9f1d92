package dev.inferless.llm.sampling;

import java.util.Arrays;
import java.util.BitSet;

/** The steps from logits to a distribution, each a pure function on arrays (Hugging Face's semantics). */
public final class LogitProcessors {

    private LogitProcessors() {}

    /** CTRL's rule: for each seen token, a positive logit is divided by the penalty, a negative one multiplied. */
    public static void applyRepetitionPenalty(double[] logits, BitSet seen, double penalty) {
        if (penalty == 1) return;
        for (int id = seen.nextSetBit(0); id >= 0 && id < logits.length; id = seen.nextSetBit(id + 1)) {
            logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
        }
    }

    /** Index of the largest logit; the lowest index among equals. */
    public static int argmax(double[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) best = i;
        }
        return best;
    }

    /** Keeps tokens whose logit is at least the k-th largest (ties at the boundary all stay); k 0 keeps all. */
    public static boolean[] topK(double[] logits, int k) {
        boolean[] keep = new boolean[logits.length];
        if (k == 0 || k >= logits.length) {
            Arrays.fill(keep, true);
            return keep;
        }
        double[] sorted = logits.clone();
        Arrays.sort(sorted);
        double threshold = sorted[sorted.length - k];
        for (int i = 0; i < logits.length; i++) {
            keep[i] = logits[i] >= threshold;
        }
        return keep;
    }

    /** Softmax of {@code logits / temperature} over the kept tokens; the others get probability 0. */
    public static double[] softmax(double[] logits, boolean[] keep, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            if (keep[i]) max = Math.max(max, logits[i]);
        }
        double[] probs = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            if (keep[i]) {
                probs[i] = Math.exp((logits[i] - max) / temperature);
                sum += probs[i];
            }
        }
        for (int i = 0; i < probs.length; i++) {
            probs[i] /= sum;
        }
        return probs;
    }

    /**
     * Nucleus: the smallest set of most probable tokens whose probabilities sum to at least
     * {@code p} (ties ranked by index), never empty; {@code p} 1 keeps every token of non-zero probability.
     */
    public static boolean[] topP(double[] probs, double p) {
        boolean[] keep = new boolean[probs.length];
        if (p >= 1) {
            for (int i = 0; i < probs.length; i++) keep[i] = probs[i] > 0;
            return keep;
        }
        Integer[] order = candidates(probs);
        Arrays.sort(order, (a, b) -> probs[a] != probs[b] ? Double.compare(probs[b], probs[a]) : Integer.compare(a, b));
        double cumulative = 0;
        for (int id : order) {
            keep[id] = true;
            cumulative += probs[id];
            if (cumulative >= p) break;
        }
        return keep;
    }

    /** Probabilities restricted to {@code keep} and scaled to sum to 1. */
    public static double[] renormalize(double[] probs, boolean[] keep) {
        double sum = 0;
        for (int i = 0; i < probs.length; i++) {
            if (keep[i]) sum += probs[i];
        }
        double[] out = new double[probs.length];
        for (int i = 0; i < probs.length; i++) {
            out[i] = keep[i] ? probs[i] / sum : 0;
        }
        return out;
    }

    /** The token whose cumulative-probability interval holds {@code u} in [0, 1). */
    public static int draw(double[] probs, double u) {
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > 0) {
                cumulative += probs[i];
                last = i;
                if (u < cumulative) return i;
            }
        }
        return last; // rounding left u just above the total
    }

    private static Integer[] candidates(double[] probs) {
        int n = 0;
        for (double q : probs) {
            if (q > 0) n++;
        }
        Integer[] ids = new Integer[n];
        for (int i = 0, j = 0; i < probs.length; i++) {
            if (probs[i] > 0) ids[j++] = i;
        }
        return ids;
    }
}
