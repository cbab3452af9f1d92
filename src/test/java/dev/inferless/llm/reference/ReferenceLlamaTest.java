package dev.inferless.llm.reference;

import dev.inferless.llm.checkpoint.LlamaConfig;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The reference's building blocks against hand-computed values and the properties that pin its conventions. */
class ReferenceLlamaTest {

    private static final double EPS = 1e-12;

    @Test
    void rmsNormDividesByRootMeanSquareAndScales() {
        double[] out = ReferenceLlama.rmsNorm(new double[] {3, 4}, new float[] {1, 2}, 0.0);
        double rms = Math.sqrt((9 + 16) / 2.0);
        assertThat(out[0]).isCloseTo(3 / rms, within(EPS));
        assertThat(out[1]).isCloseTo(2 * 4 / rms, within(EPS));
    }

    @Test
    void ropePairsDimensionIWithIPlusHalfAsRotateHalfDoes() {
        int d = 8;
        double theta = 10000;
        for (int i = 0; i < d / 2; i++) {
            double[] x = new double[d];
            x[i] = 1;
            ReferenceLlama.rope(x, 0, d, 3, theta, 1.0);
            double angle = 3 * Math.pow(theta, -2.0 * i / d);
            assertThat(x[i]).isCloseTo(Math.cos(angle), within(EPS));
            assertThat(x[i + d / 2]).isCloseTo(Math.sin(angle), within(EPS));
            double rest = 0;
            for (int j = 0; j < d; j++) {
                if (j != i && j != i + d / 2) {
                    rest += Math.abs(x[j]);
                }
            }
            assertThat(rest).isZero();
        }
    }

    @Test
    void ropeAtPositionZeroIsIdentityAndLinearScalingDividesThePosition() {
        Random rnd = new Random(1);
        double[] x = gaussian(rnd, 16);
        double[] atZero = x.clone();
        ReferenceLlama.rope(atZero, 0, 16, 0, 1e6, 1.0);
        assertThat(atZero).containsExactly(x, within(EPS));

        double[] scaled = x.clone();
        double[] plain = x.clone();
        ReferenceLlama.rope(scaled, 0, 16, 10, 1e6, 2.0);
        ReferenceLlama.rope(plain, 0, 16, 5, 1e6, 1.0);
        assertThat(scaled).containsExactly(plain, within(EPS));
    }

    @Test
    void ropeScoresDependOnlyOnRelativePosition() {
        Random rnd = new Random(2);
        double[] q = gaussian(rnd, 16);
        double[] k = gaussian(rnd, 16);
        assertThat(rotatedDot(q, k, 7, 3)).isCloseTo(rotatedDot(q, k, 24, 20), within(1e-9));
    }

    @Test
    void siluAndSoftmax() {
        assertThat(ReferenceLlama.silu(0)).isZero();
        assertThat(ReferenceLlama.silu(1)).isCloseTo(1 / (1 + Math.exp(-1)), within(EPS));
        double[] p = ReferenceLlama.softmax(new double[] {1, 2, 3});
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertThat(p).containsExactly(new double[] {Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z}, within(EPS));
    }

    @Test
    void withoutLayersLogitsAreTheHeadOfTheNormalizedEmbedding() {
        LlamaConfig base = TinyLlama.config();
        LlamaConfig cfg = new LlamaConfig(base.hiddenSize(), base.intermediateSize(), 0, base.numHeads(),
                base.numKvHeads(), base.headDim(), base.vocabSize(), base.maxPositions(), base.rmsNormEps(),
                base.ropeTheta(), 1.0, false, 1, 2);
        Function<String, float[]> w = TinyLlama.weights(cfg, 3);
        double[] logits = new ReferenceLlama(cfg, w).logits(new int[] {5, 17});

        int h = cfg.hiddenSize();
        float[] emb = w.apply("model.embed_tokens.weight");
        float[] norm = w.apply("model.norm.weight");
        float[] head = w.apply("lm_head.weight");
        double ss = 0;
        for (int i = 0; i < h; i++) {
            ss += (double) emb[17 * h + i] * emb[17 * h + i];
        }
        double inv = 1 / Math.sqrt(ss / h + cfg.rmsNormEps());
        for (int v = 0; v < cfg.vocabSize(); v++) {
            double expected = 0;
            for (int i = 0; i < h; i++) {
                expected += head[v * h + i] * (emb[17 * h + i] * inv * norm[i]);
            }
            assertThat(logits[v]).isCloseTo(expected, within(1e-9));
        }
    }

    @Test
    void groupedQueryHeadHReadsKvHeadHDividedByGroupSize() {
        LlamaConfig gqa = TinyLlama.config();
        LlamaConfig mha = new LlamaConfig(gqa.hiddenSize(), gqa.intermediateSize(), gqa.numLayers(), gqa.numHeads(),
                gqa.numHeads(), gqa.headDim(), gqa.vocabSize(), gqa.maxPositions(), gqa.rmsNormEps(),
                gqa.ropeTheta(), 1.0, false, 1, 2);
        Function<String, float[]> w = TinyLlama.weights(gqa, 4);
        int group = gqa.numHeads() / gqa.numKvHeads();
        int rows = gqa.headDim() * gqa.hiddenSize();
        Map<String, float[]> expanded = new HashMap<>();
        for (int l = 0; l < gqa.numLayers(); l++) {
            for (String proj : new String[] {"k_proj", "v_proj"}) {
                String name = "model.layers." + l + ".self_attn." + proj + ".weight";
                float[] src = w.apply(name);
                float[] dst = new float[gqa.numHeads() * rows];
                for (int h = 0; h < gqa.numHeads(); h++) {
                    System.arraycopy(src, (h / group) * rows, dst, h * rows, rows);
                }
                expanded.put(name, dst);
            }
        }
        Function<String, float[]> mhaWeights = n -> expanded.containsKey(n) ? expanded.get(n) : w.apply(n);
        int[] tokens = TinyLlama.randomTokens(new Random(5), 9, gqa.vocabSize());
        assertThat(new ReferenceLlama(mha, mhaWeights).logits(tokens))
                .containsExactly(new ReferenceLlama(gqa, w).logits(tokens), within(1e-9));
    }

    @Test
    void tiedEmbeddingsUseTheEmbeddingMatrixAsHead() {
        LlamaConfig tied = TinyLlama.config(1.0, true);
        LlamaConfig untied = TinyLlama.config(1.0, false);
        Function<String, float[]> w = TinyLlama.weights(tied, 6);
        Function<String, float[]> withHead = n -> n.equals("lm_head.weight") ? w.apply("model.embed_tokens.weight") : w.apply(n);
        int[] tokens = {3, 1, 4, 1, 5};
        assertThat(new ReferenceLlama(tied, w).logits(tokens))
                .containsExactly(new ReferenceLlama(untied, withHead).logits(tokens), within(EPS));
    }

    @Test
    void aSingleTokenIgnoresQueriesAndKeysButLaterPositionsDoNot() {
        LlamaConfig cfg = TinyLlama.config();
        Function<String, float[]> w = TinyLlama.weights(cfg, 7);
        Function<String, float[]> otherQk = n -> n.contains("q_proj") || n.contains("k_proj") ? scaled(w.apply(n), 3f) : w.apply(n);
        assertThat(new ReferenceLlama(cfg, otherQk).logits(new int[] {42}))
                .containsExactly(new ReferenceLlama(cfg, w).logits(new int[] {42}), within(1e-9));
        double[] a = new ReferenceLlama(cfg, otherQk).logits(new int[] {42, 7, 9});
        double[] b = new ReferenceLlama(cfg, w).logits(new int[] {42, 7, 9});
        assertThat(maxAbsDiff(a, b)).isGreaterThan(1e-3);
    }

    @Test
    void badInputsNameTheProblem() {
        LlamaConfig cfg = TinyLlama.config();
        Function<String, float[]> w = TinyLlama.weights(cfg, 8);
        assertThatThrownBy(() -> new ReferenceLlama(cfg, n -> n.endsWith("up_proj.weight") ? null : w.apply(n)))
                .hasMessageContaining("model.layers.0.mlp.up_proj.weight");
        assertThatThrownBy(() -> new ReferenceLlama(cfg, n -> n.equals("model.norm.weight") ? new float[3] : w.apply(n)))
                .hasMessageContaining("model.norm.weight").hasMessageContaining("expected 64");
        ReferenceLlama ref = new ReferenceLlama(cfg, w);
        assertThatThrownBy(() -> ref.logits(new int[] {512})).hasMessageContaining("512");
        assertThatThrownBy(() -> ref.logits(new int[0])).isInstanceOf(IllegalArgumentException.class);
    }

    private static double rotatedDot(double[] q, double[] k, int qPos, int kPos) {
        double[] qr = q.clone();
        double[] kr = k.clone();
        ReferenceLlama.rope(qr, 0, qr.length, qPos, 10000, 1.0);
        ReferenceLlama.rope(kr, 0, kr.length, kPos, 10000, 1.0);
        double dot = 0;
        for (int i = 0; i < qr.length; i++) {
            dot += qr[i] * kr[i];
        }
        return dot;
    }

    private static double[] gaussian(Random rnd, int n) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = rnd.nextGaussian();
        }
        return a;
    }

    private static float[] scaled(float[] a, float s) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] * s;
        }
        return out;
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
