package dev.inferless.llm.engine;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.CheckpointMaker;
import dev.inferless.llm.model.CheckpointWeights;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LlamaModel;
import dev.inferless.llm.reference.ReferenceLlama;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole engine, end to end from files on disk: a checkpoint made by our own packers in each
 * supported format is opened, loaded by {@link LlamaModel} on DJL (CPU, float32), and its logits
 * are compared with the plain double-precision {@link ReferenceLlama} fed the same dequantized
 * weights. Prefill and ten greedy decode steps; tokens must match exactly, logits within 1e-4
 * relative L2 (float32 accumulation over a 2-layer model lands near 1e-6).
 */
class EngineMatchesReferenceTest {

    static final double TOLERANCE = 1e-4;

    @TempDir
    Path tmp;

    static Stream<Arguments> formats() {
        return Stream.of(
                Arguments.of("fp32", 0, 0, false, true, false),
                Arguments.of("fp16", 0, 0, false, true, false),
                Arguments.of("bf16", 0, 0, false, true, false),
                Arguments.of("gptq", 4, 32, true, true, false),   // TheBloke's act-order layout
                Arguments.of("gptq", 4, 64, false, false, false), // asymmetric
                Arguments.of("gptq", 4, -1, false, true, true),   // one group, v2 zero storage
                Arguments.of("gptq", 8, 32, true, true, false),
                Arguments.of("awq", 4, 64, false, false, false),
                Arguments.of("awq", 4, 32, false, false, false));
    }

    @ParameterizedTest(name = "{0} {1}-bit g{2} actOrder={3} sym={4} v2={5}")
    @MethodSource("formats")
    void engineLogitsMatchReference(String format, int bits, int group, boolean actOrder, boolean sym, boolean v2) {
        long seed = new Random().nextLong();
        Path dir = tmp.resolve(format);
        CheckpointMaker.make("tiny", format, bits, group, actOrder, sym, v2, seed, dir);
        try (Checkpoint ckpt = Checkpoint.open(dir);
             LlamaModel model = LlamaModel.load(ckpt, "cpu")) {
            ReferenceLlama reference = new ReferenceLlama(ckpt.config(), new CheckpointWeights(ckpt));
            int[] prompt = new Random(seed).ints(7, 3, ckpt.config().vocabSize()).toArray();
            int[] tokens = prompt;
            try (DecodeSession session = model.newSession(64)) {
                float[] logits = session.prefill(prompt);
                for (int step = 0; step < 10; step++) {
                    double[] expected = reference.logits(tokens);
                    assertThat(relativeL2(logits, expected))
                            .as("%s seed %d step %d", format, seed, step).isLessThan(TOLERANCE);
                    int next = argmax(logits);
                    assertThat(next).as("greedy token, seed %d step %d", seed, step).isEqualTo(argmax(expected));
                    tokens = Arrays.copyOf(tokens, tokens.length + 1);
                    tokens[tokens.length - 1] = next;
                    logits = session.decode(next);
                }
            }
        }
    }

    static double relativeL2(float[] actual, double[] expected) {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = actual[i] - expected[i];
            diff += d * d;
            norm += expected[i] * expected[i];
        }
        return Double.isNaN(diff) ? Double.POSITIVE_INFINITY : Math.sqrt(diff / norm);
    }

    static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
