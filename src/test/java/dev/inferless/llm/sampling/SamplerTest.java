package dev.inferless.llm.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final float[] LOGITS = {1.0f, 2.0f, 0.5f, -1.0f, 1.5f};
    private static final int DRAWS = 200_000;

    @Test
    void greedyTakesTheArgmaxAfterTheRepetitionPenalty() {
        BitSet none = new BitSet();
        assertThat(new Sampler(SamplingParams.GREEDY, 1L).next(LOGITS, none)).isEqualTo(1);
        BitSet seen = new BitSet();
        seen.set(1); // 2.0 / 2 = 1.0 < 1.5
        assertThat(new Sampler(new SamplingParams(0, 0, 1, 2), 1L).next(LOGITS, seen)).isEqualTo(4);
    }

    @Test
    void presenceAndFrequencyPenaltiesSubtractPerOutputOccurrence() {
        BitSet seen = new BitSet();
        int[] counts = new int[LOGITS.length];
        counts[1] = 2; // 2.0 - (0.1 + 0.3 * 2) = 1.3 < 1.5: token 4 now leads
        assertThat(new Sampler(new SamplingParams(0, 0, 1, 1, 0.1, 0.3), 1L).next(LOGITS, seen, counts)).isEqualTo(4);
        counts[1] = 1; // 2.0 - 0.4 = 1.6 > 1.5
        assertThat(new Sampler(new SamplingParams(0, 0, 1, 1, 0.1, 0.3), 1L).next(LOGITS, seen, counts)).isEqualTo(1);
        // negative values favour the output's tokens: -1.0 - (-1.0 - 2.0 * 1) = 2.0 ties token 1 (the lower id
        // wins); a presence of -1.1 tips it
        int[] once = new int[LOGITS.length];
        once[3] = 1;
        assertThat(new Sampler(new SamplingParams(0, 0, 1, 1, -1.0, -2.0), 1L).next(LOGITS, seen, once)).isEqualTo(1);
        assertThat(new Sampler(new SamplingParams(0, 0, 1, 1, -1.1, -2.0), 1L).next(LOGITS, seen, once)).isEqualTo(3);
    }

    @Test
    void logitBiasAddsToTheNamedTokensBeforeThePenalties() {
        BitSet seen = new BitSet();
        // -100 bans the argmax; +0.6 lifts token 0 (1.0) over token 4 (1.5)
        SamplingParams bias = new SamplingParams(0, 0, 1, 1, 0, 0, java.util.Map.of(1, -100.0, 0, 0.6));
        assertThat(new Sampler(bias, 1L).next(LOGITS, seen)).isEqualTo(0);
        assertThat(bias.needsHostSampler()).isTrue();
        assertThat(new SamplingParams(0, 0, 1, 1).needsHostSampler()).isFalse();
        // before the repetition penalty: (2.0 + 2.0) / 2 = 2.0 > 1.5
        seen.set(1);
        assertThat(new Sampler(new SamplingParams(0, 0, 1, 2, 0, 0, java.util.Map.of(1, 2.0)), 1L).next(LOGITS, seen))
                .isEqualTo(1);
    }

    @Test
    void outputPenaltiesApplyAfterTheRepetitionPenaltyAsInVllm() {
        double[] logits = {4.0, 3.0};
        BitSet seen = new BitSet();
        seen.set(0);
        LogitProcessors.applyRepetitionPenalty(logits, seen, 2.0);
        LogitProcessors.applyOutputPenalties(logits, new int[] {1, 0}, 0.5, 0.25);
        assertThat(logits).containsExactly(4.0 / 2 - 0.75, 3.0);
    }

    @Test
    void sampledDrawsFollowThePenalizedSoftmax() {
        int[] counts = {0, 3, 0, 0, 1};
        SamplingParams params = new SamplingParams(1, 0, 1, 1, 0.2, 0.1);
        double[] penalized = new double[LOGITS.length];
        double sum = 0;
        for (int i = 0; i < LOGITS.length; i++) {
            penalized[i] = Math.exp(LOGITS[i] - (counts[i] > 0 ? 0.2 + 0.1 * counts[i] : 0));
            sum += penalized[i];
        }
        for (int i = 0; i < LOGITS.length; i++) penalized[i] /= sum;
        int[] drawn = new int[LOGITS.length];
        Sampler sampler = new Sampler(params, 5L);
        for (int i = 0; i < DRAWS; i++) drawn[sampler.next(LOGITS, new BitSet(), counts)]++;
        double chi2 = 0;
        for (int i = 0; i < LOGITS.length; i++) {
            double e = penalized[i] * DRAWS;
            chi2 += (drawn[i] - e) * (drawn[i] - e) / e;
        }
        assertThat(chi2).isLessThan(25); // 4 degrees of freedom: P(chi2 > 25) < 1e-4
    }

    @Test
    void frequenciesFollowTheSoftmaxAtEachTemperature() {
        for (double temperature : new double[] {1.0, 0.5, 2.0}) {
            SamplingParams params = new SamplingParams(temperature, 0, 1, 1);
            assertFrequenciesMatch(params, expected(params));
        }
    }

    @Test
    void topKAndTopPDrawOnlyFromTheirSetsWithRenormalizedFrequencies() {
        SamplingParams topK = new SamplingParams(1, 2, 1, 1);
        double[] p = expected(topK);
        assertThat(p[0]).isZero();
        assertThat(p[2]).isZero();
        assertThat(p[3]).isZero();
        assertFrequenciesMatch(topK, p);

        SamplingParams topP = new SamplingParams(1, 0, 0.8, 1);
        double[] q = expected(topP);
        assertThat(IntStream.range(0, q.length).filter(i -> q[i] > 0).toArray()).containsExactly(0, 1, 4);
        assertFrequenciesMatch(topP, q);
    }

    @Test
    void theSameSeedGivesTheSameTokensAndAnotherSeedOtherTokens() {
        SamplingParams params = new SamplingParams(1, 0, 1, 1);
        float[] flat = new float[50];
        int[] a = draws(new Sampler(params, 123L), flat, 100);
        int[] b = draws(new Sampler(params, 123L), flat, 100);
        int[] c = draws(new Sampler(params, 124L), flat, 100);
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }

    @Test
    void badParametersNameTheRequestField() {
        assertThatThrownBy(() -> new SamplingParams(-1, 0, 1, 1)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new SamplingParams(1, -1, 1, 1)).hasMessageContaining("top_k");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 0, 1)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1.5, 1)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1, 0)).hasMessageContaining("repetition_penalty");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1, 1, 2.5, 0)).hasMessageContaining("presence_penalty");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1, 1, 0, Double.NaN)).hasMessageContaining("frequency_penalty");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1, 1, 0, 0, java.util.Map.of(3, 101.0))).hasMessageContaining("logit_bias");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1, 1, 0, 0, java.util.Map.of(-1, 1.0))).hasMessageContaining("logit_bias");
    }

    /** Reference distribution computed directly from the definitions, not through the sampler. */
    private static double[] expected(SamplingParams params) {
        int n = LOGITS.length;
        double[] w = new double[n];
        Integer[] order = IntStream.range(0, n).boxed().sorted((x, y) -> Float.compare(LOGITS[y], LOGITS[x])).toArray(Integer[]::new);
        int k = params.topK() == 0 ? n : params.topK();
        double sum = 0;
        for (int r = 0; r < k; r++) {
            w[order[r]] = Math.exp(LOGITS[order[r]] / params.temperature());
            sum += w[order[r]];
        }
        double cumulative = 0;
        double[] p = new double[n];
        double kept = 0;
        for (int r = 0; r < k && cumulative < params.topP(); r++) {
            p[order[r]] = w[order[r]] / sum;
            cumulative += p[order[r]];
            kept += p[order[r]];
        }
        for (int i = 0; i < n; i++) p[i] /= kept;
        return p;
    }

    /** Chi-square goodness of fit over the tokens of non-zero probability; tokens of zero probability never drawn. */
    private static void assertFrequenciesMatch(SamplingParams params, double[] p) {
        int[] counts = new int[p.length];
        Sampler sampler = new Sampler(params, 99L);
        for (int i = 0; i < DRAWS; i++) counts[sampler.next(LOGITS, new BitSet())]++;
        double chi2 = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] == 0) {
                assertThat(counts[i]).as("token %d outside the kept set", i).isZero();
            } else {
                double e = p[i] * DRAWS;
                chi2 += (counts[i] - e) * (counts[i] - e) / e;
            }
        }
        // at most 4 degrees of freedom: P(chi2 > 25) < 1e-4
        assertThat(chi2).as("chi-square of %s", params).isLessThan(25);
    }

    private static int[] draws(Sampler sampler, float[] logits, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = sampler.next(logits, new BitSet());
        return out;
    }
}
