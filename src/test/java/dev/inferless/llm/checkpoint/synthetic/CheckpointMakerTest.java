package dev.inferless.llm.checkpoint.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.CheckpointReader;
import dev.inferless.llm.checkpoint.DType;
import dev.inferless.llm.checkpoint.Dequantize;
import dev.inferless.llm.checkpoint.GenerationConfig;
import dev.inferless.llm.checkpoint.LinearWeight;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.checkpoint.Quantization;
import dev.inferless.llm.checkpoint.TensorStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Made tiny checkpoints reopen with the right configuration, and every projection decodes to its weights. */
class CheckpointMakerTest {

    @TempDir
    Path dir;

    static Stream<Arguments> formats() {
        return Stream.of(
                Arguments.of("fp32", 4, 64, false, true, false),
                Arguments.of("fp16", 4, 64, false, true, false),
                Arguments.of("bf16", 4, 64, false, true, false),
                Arguments.of("gptq", 4, 32, true, true, false),
                Arguments.of("gptq", 4, 64, false, false, true),
                Arguments.of("gptq", 8, -1, true, true, false),
                Arguments.of("gptq", 8, 32, false, false, false),
                Arguments.of("awq", 4, 64, false, true, false),
                Arguments.of("awq", 4, 32, false, true, false));
    }

    @ParameterizedTest(name = "{0} {1}-bit g{2} actOrder={3} sym={4} v2={5}")
    @MethodSource("formats")
    void madeTinyCheckpointReopensWithItsConfigAndWeights(String format, int bits, int group, boolean actOrder,
                                                          boolean sym, boolean v2) throws IOException {
        long seed = 42;
        CheckpointMaker.make("tiny", format, bits, group, actOrder, sym, v2, seed, dir);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            LlamaConfig c = ckpt.config();
            assertThat(c).isEqualTo(ModelShapes.config("tiny"));
            assertThat(ckpt.generation()).isEqualTo(GenerationConfig.defaults());
            assertThat(ckpt.quantization()).isEqualTo(switch (format) {
                case "gptq" -> new Quantization.Gptq(bits, group, actOrder, sym, v2);
                case "awq" -> new Quantization.Awq(4, group, true);
                default -> new Quantization.None();
            });
            DType denseType = format.equals("fp32") ? DType.F32 : format.equals("bf16") ? DType.BF16 : DType.F16;
            assertThat(ckpt.tensors().info("model.embed_tokens.weight").dtype()).isEqualTo(denseType);
            assertThat(ckpt.tensors().info("model.embed_tokens.weight").shape()).containsExactly(512, c.hiddenSize());
            assertThat(ckpt.linear("lm_head", c.hiddenSize(), 512)).isInstanceOf(LinearWeight.Dense.class);
            float[] norm = Dequantize.dense(ckpt.tensors(), ckpt.tensors().info("model.layers.1.input_layernorm.weight"));
            for (float v : norm) assertThat(v).isBetween(0.9f, 1.1f);

            for (int layer = 0; layer < c.numLayers(); layer++) {
                for (String projection : CheckpointReader.PROJECTIONS) {
                    String prefix = "model.layers." + layer + "." + projection;
                    int[] shape = CheckpointReader.projectionShape(c, projection);
                    LinearWeight weight = ckpt.linear(prefix, shape[0], shape[1]);
                    assertThat(weight.getClass().getSimpleName().toLowerCase())
                            .isEqualTo(format.startsWith("fp") || format.equals("bf16") ? "dense" : format);
                    assertDecodesToMadeWeights(ckpt, prefix, weight, seed, format, bits);
                }
            }
        }
    }

    private static void assertDecodesToMadeWeights(Checkpoint ckpt, String prefix, LinearWeight weight, long seed,
                                                   String format, int bits) {
        int in = weight.in();
        int out = weight.out();
        float[] original = new float[out * in];
        float[] row = new float[in];
        MatrixRows rows = CheckpointMaker.projectionWeights(seed, prefix, in);
        for (int r = 0; r < out; r++) {
            rows.row(r, row);
            System.arraycopy(row, 0, original, r * in, in);
        }
        float[] decoded = Dequantize.toFloat(ckpt.tensors(), weight);
        float maxScale = 0;
        if (weight instanceof LinearWeight.Gptq g) maxScale = max(Dequantize.halves(ckpt.tensors(), g.scales()));
        if (weight instanceof LinearWeight.Awq a) maxScale = max(Dequantize.halves(ckpt.tensors(), a.scales()));
        int maxq = (1 << bits) - 1;
        for (int i = 0; i < original.length; i++) {
            float bound = switch (format) {
                case "fp32" -> 0f;
                case "fp16" -> Math.max(Math.abs(original[i]) * 0x1.0p-11f, 0x1.0p-25f); // 2^-25: subnormal step / 2
                case "bf16" -> Math.abs(original[i]) * 0x1.0p-8f;
                default -> maxScale * (0.5f + maxq * 0x1.0p-11f) + 1e-7f;
            };
            if (Math.abs(decoded[i] - original[i]) > bound) {
                assertThat(Math.abs(decoded[i] - original[i])).as("%s element %d", prefix, i).isLessThanOrEqualTo(bound);
            }
        }
    }

    private static float max(float[] values) {
        float m = 0;
        for (float v : values) m = Math.max(m, v);
        return m;
    }

    @Test
    void largeCheckpointsAreShardedWithAnIndex() throws IOException {
        CheckpointMaker.make(new CheckpointMaker.Options("tiny", "gptq", 4, 32, true, true, false, 3, 100_000), dir);
        assertThat(dir.resolve("model.safetensors.index.json")).exists();
        assertThat(dir.resolve("model.safetensors")).doesNotExist();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(f -> f.toString().endsWith(".safetensors")).count()).isGreaterThan(1);
        }
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.tensors().names()).contains("model.layers.1.mlp.down_proj.g_idx", "lm_head.weight");
        }
    }

    @Test
    void writesTheQuantizationConfigFilesOfEachFormat() throws IOException {
        CheckpointMaker.make("tiny", "gptq", 4, 64, true, 1, dir.resolve("g"));
        String gptq = Files.readString(dir.resolve("g/quantize_config.json"));
        assertThat(gptq).contains("\"bits\" : 4", "\"group_size\" : 64", "\"desc_act\" : true", "\"sym\" : true",
                "\"static_groups\" : false", "\"model_file_base_name\" : \"model\"", "\"damp_percent\"");
        CheckpointMaker.make("tiny", "awq", 4, 64, false, 1, dir.resolve("a"));
        assertThat(dir.resolve("a/quantize_config.json")).doesNotExist();
        assertThat(Files.readString(dir.resolve("a/config.json")))
                .contains("\"quant_method\" : \"awq\"", "\"zero_point\" : true", "\"version\" : \"gemm\"");
    }

    @Test
    void commandLineMakesACheckpoint() {
        int exit = new CommandLine(new MakeCheckpointCommand()).execute(
                "--shape", "tiny", "--format", "gptq", "--bits", "8", "--group-size", "32", "--act-order",
                "--seed", "5", "--out", dir.toString());
        assertThat(exit).isZero();
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.quantization()).isEqualTo(new Quantization.Gptq(8, 32, true, true, false));
        }
    }

    @Test
    void projectionsReadingTheSameInputShareTheirActOrder() throws IOException {
        CheckpointMaker.make("tiny", "gptq", 4, 32, true, 3, dir);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            TensorStore t = ckpt.tensors();
            String l = "model.layers.1.";
            ByteBuffer q = t.bytes(l + "self_attn.q_proj.g_idx");
            assertThat(t.bytes(l + "self_attn.k_proj.g_idx")).isEqualTo(q);
            assertThat(t.bytes(l + "self_attn.v_proj.g_idx")).isEqualTo(q);
            assertThat(t.bytes(l + "mlp.up_proj.g_idx")).isEqualTo(t.bytes(l + "mlp.gate_proj.g_idx"));
            assertThat(t.bytes(l + "mlp.gate_proj.g_idx")).as("another input, another order").isNotEqualTo(q);
            assertThat(t.bytes("model.layers.0.self_attn.q_proj.g_idx")).as("another layer").isNotEqualTo(q);
        }
    }

    @Test
    void sameSeedSameBytes() throws IOException {
        CheckpointMaker.make("tiny", "awq", 4, 32, false, 9, dir.resolve("a"));
        CheckpointMaker.make("tiny", "awq", 4, 32, false, 9, dir.resolve("b"));
        CheckpointMaker.make("tiny", "awq", 4, 32, false, 10, dir.resolve("c"));
        byte[] a = Files.readAllBytes(dir.resolve("a/model.safetensors"));
        assertThat(Files.readAllBytes(dir.resolve("b/model.safetensors"))).isEqualTo(a);
        assertThat(Files.readAllBytes(dir.resolve("c/model.safetensors"))).isNotEqualTo(a);
    }

    @Test
    void impossibleRequestsAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> CheckpointMaker.make("tiny", "gptq", 4, 256, false, 1, dir))
                .hasMessageContaining("group_size 256").hasMessageContaining("384");
        assertThatThrownBy(() -> CheckpointMaker.make("tiny", "gptq", 3, 32, false, 1, dir)).hasMessageContaining("bits 3");
        assertThatThrownBy(() -> CheckpointMaker.make("tiny", "awq", 4, 32, true, 1, dir)).hasMessageContaining("act-order");
        assertThatThrownBy(() -> CheckpointMaker.make("tiny", "int3", 4, 32, false, 1, dir)).hasMessageContaining("format int3");
        assertThatThrownBy(() -> CheckpointMaker.make("huge", "fp16", 4, 32, false, 1, dir)).hasMessageContaining("shape huge");
    }
}
