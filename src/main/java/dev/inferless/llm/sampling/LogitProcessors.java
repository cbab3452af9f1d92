package dev.inferless.llm.sampling;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Map;

/** The steps from logits to a distribution, each a pure function on arrays (Hugging Face's semantics). */
public final class LogitProcessors {

    private LogitProcessors() {}

    /** OpenAI's logit_bias: each named token's bias added to its logit (ids past the vocabulary are the caller's to refuse). */
    public static void applyLogitBias(double[] logits, Map<Integer, Double> bias) {
        for (Map.Entry<Integer, Double> e : bias.entrySet()) {
            if (e.getKey() < logits.length) logits[e.getKey()] += e.getValue();
        }
    }

    /** CTRL's rule: for each seen token, a positive logit is divided by the penalty, a negative one multiplied. */
    public static void applyRepetitionPenalty(double[] logits, BitSet seen, double penalty) {
        if (penalty == 1) return;
        for (int id = seen.nextSetBit(0); id >= 0 && id < logits.length; id = seen.nextSetBit(id + 1)) {
            logits[id] = logits[id] > 0 ? logits[id] / penalty : logits[id] * penalty;
        }
    }

    /**
     * OpenAI's presence and frequency penalties (vLLM's order: after the repetition penalty): each
     * token the output holds ({@code counts[id]} times) loses {@code presence + frequency * counts[id]}.
     */
    public static void applyOutputPenalties(double[] logits, int[] counts, double presence, double frequency) {
        if (presence == 0 && frequency == 0) return;
        for (int id = 0; id < Math.min(logits.length, counts.length); id++) {
            if (counts[id] > 0) logits[id] -= presence + frequency * counts[id];
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
        double threshold = kthLargest(logits, k);
        for (int i = 0; i < logits.length; i++) {
            keep[i] = logits[i] >= threshold;
        }
        return keep;
    }

    /** The k-th largest value, through a min-heap of the k largest seen (O(n log k); k is small in practice). */
    static double kthLargest(double[] values, int k) {
        double[] heap = new double[k];
        int size = 0;
        for (double v : values) {
            if (size < k) {
                heap[size] = v;
                siftUp(heap, size++);
            } else if (v > heap[0]) {
                heap[0] = v;
                siftDown(heap, size);
            }
        }
        return heap[0];
    }

    private static void siftUp(double[] heap, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (heap[parent] <= heap[i]) return;
            double t = heap[parent];
            heap[parent] = heap[i];
            heap[i] = t;
            i = parent;
        }
    }

    private static void siftDown(double[] heap, int size) {
        int i = 0;
        while (true) {
            int smallest = i;
            int l = 2 * i + 1;
            int r = l + 1;
            if (l < size && heap[l] < heap[smallest]) smallest = l;
            if (r < size && heap[r] < heap[smallest]) smallest = r;
            if (smallest == i) return;
            double t = heap[smallest];
            heap[smallest] = heap[i];
            heap[i] = t;
            i = smallest;
        }
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
        // Walk the probabilities from the largest to the value at which the running sum reaches p;
        // ties at that value are kept by index. Only values >= floor are sorted: their sum already
        // reaches p, so the walk never gets below floor (a full sort of a 32k vocabulary costs ms).
        double[] sorted = sortedAtLeast(probs, nucleusFloor(probs, p));
        double cumulative = 0;
        double boundary = 0;
        int tiesToKeep = 0;
        for (int r = sorted.length - 1; r >= 0; r--) {
            double q = sorted[r];
            tiesToKeep = q == boundary ? tiesToKeep + 1 : 1;
            boundary = q;
            cumulative += q;
            if (cumulative >= p) break;
        }
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] > boundary) {
                keep[i] = true;
            } else if (probs[i] == boundary && tiesToKeep > 0) {
                keep[i] = true;
                tiesToKeep--;
            }
        }
        return keep;
    }

    /** A value whose probabilities at or above it sum to at least p: the largest, quartered until they do. */
    private static double nucleusFloor(double[] probs, double p) {
        double floor = 0;
        for (double q : probs) floor = Math.max(floor, q);
        while (floor > Double.MIN_NORMAL) {
            double mass = 0;
            for (double q : probs) {
                if (q >= floor) mass += q;
            }
            if (mass >= p) return floor;
            floor /= 4;
        }
        return Double.MIN_VALUE; // every non-zero probability
    }

    private static double[] sortedAtLeast(double[] probs, double floor) {
        int n = 0;
        for (double q : probs) {
            if (q >= floor && q > 0) n++;
        }
        double[] out = new double[n];
        n = 0;
        for (double q : probs) {
            if (q >= floor && q > 0) out[n++] = q;
        }
        Arrays.sort(out);
        return out;
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
}
