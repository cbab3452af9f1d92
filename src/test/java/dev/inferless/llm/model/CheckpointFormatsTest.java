package dev.inferless.llm.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.reference.ReferenceLlama;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every checkpoint format, end to end from files on disk: CheckpointMaker writes a tiny checkpoint
 * with our own packers (fresh seed each run), LlamaModel.load runs it on DJL, and the reference runs
 * the same weights (dequantized by {@link CheckpointWeights}). CPU float32: relative L2 of the
 * logits <= 1e-4, greedy tokens equal over 20 steps.
 */
class CheckpointFormatsTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}-bit group {2} act-order {3} sym {4} v2 {5}")
    @CsvSource({
        "fp32, 16, 0, false, true, false", "fp16, 16, 0, false, true, false", "bf16, 16, 0, false, true, false",
        "gptq, 4, 128, false, true, false", "gptq, 4, 128, true, true, false", "gptq, 4, 64, false, false, false",
        "gptq, 4, 32, true, true, false", "gptq, 4, -1, false, true, true", "gptq, 8, -1, true, true, false",
        "gptq, 8, 32, false, false, true", "awq, 4, 128, false, false, false", "awq, 4, 64, false, false, false"})
    void engineMatchesTheReferenceOnEveryFormat(String format, int bits, int groupSize, boolean actOrder,
                                                boolean sym, boolean v2) {
        long seed = new Random().nextLong();
        CheckpointMaker.make("tiny", format, bits, groupSize, actOrder, sym, v2, seed, dir);
        try (Checkpoint ckpt = Checkpoint.open(dir);
             LlamaModel model = LlamaModel.load(ckpt, "cpu")) {
            LlamaConfig cfg = ckpt.config();
            ReferenceLlama ref = new ReferenceLlama(cfg, new CheckpointWeights(ckpt));
            int[] prompt = new Random(seed).ints(6, 0, cfg.vocabSize()).toArray();
            int steps = 20;
            int[] seq = Arrays.copyOf(prompt, prompt.length + steps);
            try (DecodeSession s = model.newSession(seq.length)) {
                float[] logits = s.prefill(prompt);
                for (int i = 0; i < steps; i++) {
                    int n = prompt.length + i;
                    double[] expected = ref.logits(Arrays.copyOf(seq, n));
                    LlamaModelTest.assertClose(logits, expected, format + " seed " + seed + " at position " + n);
                    seq[n] = LlamaModelTest.argmax(logits);
                    assertThat(seq[n]).as("greedy token at %d, seed %d", n, seed)
                            .isEqualTo(LlamaModelTest.argmax(expected));
                    if (i + 1 < steps) {
                        logits = s.decode(seq[n]);
                    }
                }
            }
        }
    }
}
