package dev.inferless.llm.sampling;

import java.util.Arrays;

/**
 * A generated token's log-probability and the {@code top} most likely tokens at its position, from
 * the log_softmax of the model's raw logits: before repetition penalty, temperature, top-k and
 * top-p, so they describe the model, not the sampling settings. {@code text}: the text the token
 * added to the output (empty for a byte that completes no character yet).
 */
public record TokenLogprobs(int token, String text, double logprob, int[] topTokens, double[] topLogprobs) {

    /** From one position's logits; ties in the top list go to the lower token id. */
    public static TokenLogprobs of(float[] logits, int token, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double logZ = max + Math.log(sum);
        int n = Math.min(top, logits.length);
        int[] ids = new int[n];
        double[] values = new double[n];
        Arrays.fill(ids, -1);
        for (int id = 0; id < logits.length; id++) {
            // insertion into the sorted top n: n <= 20, so a pass per token is cheap
            int at = n;
            while (at > 0 && (ids[at - 1] < 0 || logits[id] > logits[ids[at - 1]])) at--;
            if (at < n) {
                System.arraycopy(ids, at, ids, at + 1, n - at - 1);
                ids[at] = id;
            }
        }
        for (int i = 0; i < n; i++) values[i] = logits[ids[i]] - logZ;
        return new TokenLogprobs(token, "", logits[token] - logZ, ids, values);
    }

    public TokenLogprobs withText(String text) {
        return new TokenLogprobs(token, text, logprob, topTokens, topLogprobs);
    }
}
