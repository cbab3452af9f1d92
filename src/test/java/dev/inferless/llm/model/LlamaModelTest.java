package dev.inferless.llm.model;

import ai.djl.ndarray.types.DataType;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.reference.ReferenceLlama;
import dev.inferless.llm.reference.TinyLlama;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DJL engine against the double-precision reference on fresh random tiny weights, CPU float32.
 * Tolerance: relative L2 error of the logits <= 1e-4 (float32 rounding through two layers is ~1e-6).
 */
class LlamaModelTest {

    static final double TOLERANCE = 1e-4;

    @ParameterizedTest(name = "rope factor {0}, tied {1}, seed {2}")
    @CsvSource({"1.0, false, 11", "2.0, false, 12", "1.0, true, 13", "2.0, true, 14"})
    void prefillOfSeveralLengthsThenDecodeStepsMatchTheReference(double ropeFactor, boolean tied, long seed) {
        LlamaConfig cfg = TinyLlama.config(ropeFactor, tied);
        Function<String, float[]> w = TinyLlama.weights(cfg, seed);
        ReferenceLlama ref = new ReferenceLlama(cfg, w);
        Random rnd = new Random(seed);
        try (LlamaModel model = LlamaModel.fromWeights(cfg, w, "cpu", "auto")) {
            assertThat(model.device()).isEqualTo("cpu");
            for (int promptLength : new int[] {1, 4, 11, 23}) {
                int[] seq = TinyLlama.randomTokens(rnd, promptLength + 5, cfg.vocabSize());
                try (DecodeSession s = model.newSession(64)) {
                    float[] logits = s.prefill(Arrays.copyOf(seq, promptLength));
                    assertClose(logits, ref.logits(Arrays.copyOf(seq, promptLength)), "prefill " + promptLength);
                    for (int i = promptLength; i < seq.length; i++) {
                        logits = s.decode(seq[i]);
                        assertClose(logits, ref.logits(Arrays.copyOf(seq, i + 1)), "decode at " + i);
                    }
                    assertThat(s.position()).isEqualTo(seq.length);
                }
            }
        }
    }

    @Test
    void greedyTokensEqualTheReferenceOverTwentySteps() {
        LlamaConfig cfg = TinyLlama.config();
        Function<String, float[]> w = TinyLlama.weights(cfg, 21);
        ReferenceLlama ref = new ReferenceLlama(cfg, w);
        int[] prompt = TinyLlama.randomTokens(new Random(21), 7, cfg.vocabSize());
        int steps = 20;

        int[] refSeq = Arrays.copyOf(prompt, prompt.length + steps);
        for (int i = 0; i < steps; i++) {
            refSeq[prompt.length + i] = argmax(ref.logits(Arrays.copyOf(refSeq, prompt.length + i)));
        }

        int[] engineSeq = Arrays.copyOf(prompt, prompt.length + steps);
        try (LlamaModel model = LlamaModel.fromWeights(cfg, w, "cpu", "float32");
             DecodeSession s = model.newSession(prompt.length + steps)) {
            float[] logits = s.prefill(prompt);
            for (int i = 0; i < steps; i++) {
                int next = argmax(logits);
                engineSeq[prompt.length + i] = next;
                if (i + 1 < steps) {
                    logits = s.decode(next);
                }
            }
        }
        assertThat(engineSeq).containsExactly(refSeq);
        assertThat(Arrays.stream(refSeq, prompt.length, refSeq.length).distinct().count())
                .as("greedy output should not be a single repeated token, or the test proves little")
                .isGreaterThan(1);
    }

    /** The GPU's default dtype, exercised on CPU: relative L2 <= 1e-2 (measured ~3e-3; fp16 keeps 11 bits). */
    @Test
    void float16StaysWithinHalfPrecisionOfTheReference() {
        LlamaConfig cfg = TinyLlama.config();
        Function<String, float[]> w = TinyLlama.weights(cfg, 61);
        ReferenceLlama ref = new ReferenceLlama(cfg, w);
        int[] seq = TinyLlama.randomTokens(new Random(61), 16, cfg.vocabSize());
        try (LlamaModel model = LlamaModel.fromWeights(cfg, w, "cpu", "float16");
             DecodeSession s = model.newSession(32)) {
            assertThat(model.dtype()).isEqualTo(DataType.FLOAT16);
            float[] logits = s.prefill(Arrays.copyOf(seq, 10));
            for (int i = 10; i <= seq.length; i++) {
                assertThat(relativeL2(logits, ref.logits(Arrays.copyOf(seq, i)))).as("position %d", i)
                        .isLessThanOrEqualTo(1e-2);
                if (i < seq.length) {
                    logits = s.decode(seq[i]);
                }
            }
        }
    }

    @Test
    void decodingStepByStepEqualsOnePrefillOfTheSameSequence() {
        LlamaConfig cfg = TinyLlama.config();
        Function<String, float[]> w = TinyLlama.weights(cfg, 31);
        int[] seq = TinyLlama.randomTokens(new Random(31), 30, cfg.vocabSize());
        try (LlamaModel model = LlamaModel.fromWeights(cfg, w, "cpu", "auto")) {
            float[] stepwise;
            try (DecodeSession s = model.newSession(32)) {
                stepwise = s.prefill(new int[] {seq[0]});
                for (int i = 1; i < seq.length; i++) {
                    stepwise = s.decode(seq[i]);
                }
            }
            float[] whole;
            try (DecodeSession s = model.newSession(32)) {
                whole = s.prefill(seq);
            }
            assertThat(relativeL2(stepwise, toDouble(whole))).isLessThan(1e-5);
        }
    }

    @Test
    void sessionsAreIndependent() {
        LlamaConfig cfg = TinyLlama.config();
        Function<String, float[]> w = TinyLlama.weights(cfg, 41);
        try (LlamaModel model = LlamaModel.fromWeights(cfg, w, "cpu", "auto");
             DecodeSession a = model.newSession(16);
             DecodeSession b = model.newSession(16)) {
            float[] first = a.prefill(new int[] {5, 6, 7});
            b.prefill(new int[] {100, 200, 300, 400});
            b.decode(9);
            try (DecodeSession again = model.newSession(16)) {
                assertThat(again.prefill(new int[] {5, 6, 7})).containsExactly(first);
            }
            assertThat(a.decode(8)).isEqualTo(freshLogits(model, new int[] {5, 6, 7}, 8));
        }
    }

    @Test
    void sessionsOnSeveralThreadsGiveTheSameLogitsAsOneAtATime() throws Exception {
        LlamaConfig cfg = TinyLlama.config();
        Function<String, float[]> w = TinyLlama.weights(cfg, 71);
        try (LlamaModel model = LlamaModel.fromWeights(cfg, w, "cpu")) {
            int[][] prompts = new int[4][];
            float[][] sequential = new float[4][];
            for (int i = 0; i < prompts.length; i++) {
                prompts[i] = TinyLlama.randomTokens(new Random(71 + i), 5 + i, cfg.vocabSize());
                sequential[i] = run(model, prompts[i]);
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> parallel = new ArrayList<>();
                for (int[] p : prompts) {
                    parallel.add(pool.submit(() -> run(model, p)));
                }
                for (int i = 0; i < prompts.length; i++) {
                    assertThat(parallel.get(i).get()).containsExactly(sequential[i]);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Prefill, then ten greedy steps; the last logits. */
    private static float[] run(LlamaModel model, int[] prompt) {
        try (DecodeSession s = model.newSession(prompt.length + 10)) {
            float[] logits = s.prefill(prompt);
            for (int i = 0; i < 10; i++) {
                logits = s.decode(argmax(logits));
            }
            return logits;
        }
    }

    private static float[] freshLogits(LlamaModel model, int[] prompt, int next) {
        try (DecodeSession s = model.newSession(16)) {
            s.prefill(prompt);
            return s.decode(next);
        }
    }

    static void assertClose(float[] engine, double[] reference, String where) {
        assertThat(engine).hasSize(reference.length);
        assertThat(relativeL2(engine, reference)).as(where).isLessThanOrEqualTo(TOLERANCE);
    }

    static double relativeL2(float[] a, double[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (a[i] - b[i]);
            norm += b[i] * b[i];
        }
        return Math.sqrt(diff / norm);
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }

    static int argmax(double[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }
}
