package dev.inferless.llm.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogitProcessorsTest {

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokensOnly() {
        double[] logits = {2, -2, 1, 3};
        BitSet seen = new BitSet();
        seen.set(0);
        seen.set(1);
        LogitProcessors.applyRepetitionPenalty(logits, seen, 2);
        assertThat(logits).containsExactly(1, -4, 1, 3);
    }

    @Test
    void topKKeepsTheKLargestAndTiesAtTheBoundary() {
        assertThat(LogitProcessors.topK(new double[] {1, 5, 3, 5, 2}, 2)).containsExactly(false, true, false, true, false);
        assertThat(LogitProcessors.topK(new double[] {1, 5, 3, 5, 2}, 3)).containsExactly(false, true, true, true, false);
        assertThat(LogitProcessors.topK(new double[] {1, 2, 2, 2}, 2)).containsExactly(false, true, true, true);
        assertThat(LogitProcessors.topK(new double[] {1, 2}, 0)).containsExactly(true, true);
    }

    @Test
    void topKMatchesRankDefinitionOnRandomLogits() {
        Random random = new Random(1);
        for (int trial = 0; trial < 500; trial++) {
            double[] logits = randomLogits(random, 1 + random.nextInt(60));
            int k = random.nextInt(logits.length + 2);
            boolean[] keep = LogitProcessors.topK(logits, k);
            for (int i = 0; i < logits.length; i++) {
                final double li = logits[i];
                long greater = Arrays.stream(logits).filter(x -> x > li).count();
                assertThat(keep[i]).as("k=%d token %d", k, i).isEqualTo(k == 0 || greater < k);
            }
        }
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        double[] probs = {0.15, 0.5, 0.05, 0.3};
        assertThat(LogitProcessors.topP(probs, 0.1)).containsExactly(false, true, false, false);
        assertThat(LogitProcessors.topP(probs, 0.75)).containsExactly(false, true, false, true);
        assertThat(LogitProcessors.topP(probs, 0.85)).containsExactly(true, true, false, true);
        assertThat(LogitProcessors.topP(probs, 1.0)).containsExactly(true, true, true, true);
        assertThat(LogitProcessors.topP(new double[] {0.9, 0.1}, 1e-9)).containsExactly(true, false);
    }

    @Test
    void topPMatchesRankDefinitionOnRandomDistributions() {
        Random random = new Random(2);
        for (int trial = 0; trial < 503; trial++) {
            // mostly small vocabularies; a few large flat ones, where the nucleus holds thousands of tokens
            int n = trial < 500 ? 1 + random.nextInt(60) : 1500;
            double[] logits = randomLogits(random, n);
            double[] probs = LogitProcessors.softmax(logits, all(logits.length), trial < 500 ? 1 : 20);
            double p = 0.01 + 0.98 * random.nextDouble();
            boolean[] keep = LogitProcessors.topP(probs, p);
            for (int i = 0; i < probs.length; i++) {
                // kept iff the tokens ranked before it (more probable, or equal with lower index) sum to less than p
                double before = 0;
                for (int j = 0; j < probs.length; j++) {
                    if (probs[j] > probs[i] || (probs[j] == probs[i] && j < i)) before += probs[j];
                }
                assertThat(keep[i]).as("p=%f token %d", p, i).isEqualTo(before < p);
            }
        }
    }

    @Test
    void softmaxAppliesTemperatureAndMask() {
        double[] logits = {0, Math.log(3), 5};
        double[] probs = LogitProcessors.softmax(logits, new boolean[] {true, true, false}, 1);
        assertThat(probs[0]).isCloseTo(0.25, within(1e-12));
        assertThat(probs[1]).isCloseTo(0.75, within(1e-12));
        assertThat(probs[2]).isZero();
        double[] hot = LogitProcessors.softmax(new double[] {0, Math.log(3)}, all(2), 0.5);
        assertThat(hot[1] / hot[0]).isCloseTo(9, within(1e-9));
    }

    @Test
    void drawPicksTheIntervalHoldingU() {
        double[] probs = {0.2, 0, 0.5, 0.3};
        assertThat(LogitProcessors.draw(probs, 0.0)).isZero();
        assertThat(LogitProcessors.draw(probs, 0.19999)).isZero();
        assertThat(LogitProcessors.draw(probs, 0.2)).isEqualTo(2);
        assertThat(LogitProcessors.draw(probs, 0.7)).isEqualTo(3);
        assertThat(LogitProcessors.draw(probs, 0.9999999999)).isEqualTo(3);
    }

    static double[] randomLogits(Random random, int n) {
        double[] logits = new double[n];
        for (int i = 0; i < n; i++) {
            // a few repeated values, to exercise ties
            logits[i] = random.nextInt(4) == 0 ? 1.0 : random.nextGaussian() * 3;
        }
        return logits;
    }

    static boolean[] all(int n) {
        boolean[] keep = new boolean[n];
        Arrays.fill(keep, true);
        return keep;
    }
}
