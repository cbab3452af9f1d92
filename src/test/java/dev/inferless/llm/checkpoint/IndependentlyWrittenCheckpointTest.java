package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.inferless.llm.engine.LoadedModel;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.fast.KvPoolSize;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checkpoints we did not write: scripts/gpu/write_checkpoint.py packs them with AutoGPTQ's and AutoAWQ's
 * published layouts (numpy, not our CheckpointMaker), TheBloke's file names, shards and a WordLevel
 * tokenizer. Each projection we dequantize must equal, bit for bit, what the published formulas give
 * (the script's own dequantizer), and the engine must load the checkpoint and run on it.
 * Needs python3 with numpy (.ci/run installs it); skipped without.
 */
class IndependentlyWrittenCheckpointTest {

    private static final String WRITER = "scripts/gpu/write_checkpoint.py";
    private static final String[] PROJECTIONS = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
        "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"};

    @TempDir
    static Path tmp;

    @BeforeAll
    static void writerRuns() throws Exception {
        assumeTrue(run(List.of("python3", "-c", "import numpy")) == 0,
                "python3 with numpy runs the independent writer " + WRITER);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--format gptq --group-size 128 --asym --act-order --perm per-projection --shards 2",
        "--format gptq --group-size 128 --act-order",
        "--format gptq --group-size 32 --asym --act-order --v2",
        "--format gptq --group-size -1 --asym",
        "--format gptq --group-size 64 --file-name model --scales bf16",
        "--format awq --group-size 128",
        "--format awq --group-size 64 --asym --scales bf16",
    })
    void everyProjectionDequantizesAsThePublishedFormulasSayAndTheEngineRuns(String options) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "ckpt");
        List<String> write = new ArrayList<>(List.of("python3", WRITER, "--out", dir.toString(), "--shape", "tiny", "--seed", "7"));
        write.addAll(List.of(options.split(" ")));
        assertThat(run(write)).as("the writer's exit status").isZero();

        Path published = Files.createTempDirectory(tmp, "published");
        assertThat(run(List.of("python3", WRITER, "--dequantize", dir.toString(), "--out", published.toString())))
                .as("the published formulas' dequantization").isZero();
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            LlamaConfig c = ckpt.config();
            int q = c.numHeads() * c.headDim(), kv = c.numKvHeads() * c.headDim();
            int[][] shapes = {{c.hiddenSize(), q}, {c.hiddenSize(), kv}, {c.hiddenSize(), kv}, {q, c.hiddenSize()},
                {c.hiddenSize(), c.intermediateSize()}, {c.hiddenSize(), c.intermediateSize()}, {c.intermediateSize(), c.hiddenSize()}};
            for (int layer = 0; layer < c.numLayers(); layer++) {
                for (int p = 0; p < PROJECTIONS.length; p++) {
                    String prefix = "model.layers." + layer + "." + PROJECTIONS[p];
                    float[] want = readNpy(published.resolve(prefix + ".npy"), shapes[p][1], shapes[p][0]);
                    float[] ours = Dequantize.toFloat(ckpt.tensors(), ckpt.linear(prefix, shapes[p][0], shapes[p][1]));
                    int first = Arrays.mismatch(ours, want);  // bit for bit (floatToIntBits)
                    assertThat(first).as(prefix + " (" + options + "): first differing element"
                            + (first < 0 ? "" : ", ours " + ours[first] + " vs " + want[first])).isEqualTo(-1);
                }
            }
        }

        try (LoadedModel loaded = LoadedModel.open(dir, "cpu", 1, KvPoolSize.DEFAULT)) {
            int[] prompt = loaded.tokenizer().encode("def f ( x ) : return x");
            assertThat(prompt).hasSizeGreaterThan(5);
            try (DecodeSession session = loaded.model().newSession(prompt.length + 4)) {
                float[] logits = session.prefill(prompt);
                for (int step = 0; step < 4; step++) {
                    assertThat(logits).hasSize(loaded.model().config().vocabSize());
                    for (float v : logits) assertThat(Float.isFinite(v)).as("a finite logit").isTrue();
                    if (step < 3) logits = session.decode(argmax(logits));
                }
            }
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** A float32 little-endian, C-order .npy of {@code rows x cols}. */
    private static float[] readNpy(Path npy, int rows, int cols) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(npy)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = Short.toUnsignedInt(b.getShort(8));
        String header = new String(Files.readAllBytes(npy), 10, headerLength);
        assertThat(header).contains("'descr': '<f4'").contains("'fortran_order': False");
        Matcher shape = Pattern.compile("'shape': \\((\\d+), (\\d+)\\)").matcher(header);
        assertThat(shape.find()).isTrue();
        assertThat(new int[] {Integer.parseInt(shape.group(1)), Integer.parseInt(shape.group(2))}).containsExactly(rows, cols);
        float[] out = new float[rows * cols];
        b.position(10 + headerLength);
        b.asFloatBuffer().get(out);
        return out;
    }

    private static int run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
