package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.checkpoint.synthetic.SafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken checkpoints fail at open, naming the file and the tensor or field at fault. */
class CheckpointValidationTest {

    @TempDir
    Path dir;

    /** Rewrites model.safetensors, letting {@code edit} change or drop (null) each entry; bytes are zeros. */
    private void rewrite(UnaryOperator<SafetensorsWriter.Entry> edit) {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        try (MappedTensorStore store = MappedTensorStore.open(dir)) {
            for (String name : store.names()) {
                TensorInfo info = store.info(name);
                SafetensorsWriter.Entry e = edit.apply(new SafetensorsWriter.Entry(name, info.dtype(), info.shape()));
                if (e != null) entries.add(e);
            }
        }
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), entries)) {
            for (SafetensorsWriter.Entry e : entries) w.write(e.name(), ByteBuffer.allocate((int) e.bytes()));
        }
    }

    @Test
    void missingProjectionNamesTheTensor() {
        CheckpointMaker.make("tiny", "fp16", 4, 64, false, 1, dir);
        rewrite(e -> e.name().equals("model.layers.1.mlp.up_proj.weight") ? null : e);
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("'model.layers.1.mlp.up_proj.weight'");
    }

    @Test
    void missingNormNamesTheTensor() {
        CheckpointMaker.make("tiny", "bf16", 4, 64, false, 1, dir);
        rewrite(e -> e.name().equals("model.norm.weight") ? null : e);
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("'model.norm.weight'");
    }

    @Test
    void wrongDenseShapeNamesTensorAndBothShapes() {
        CheckpointMaker.make("tiny", "fp16", 4, 64, false, 1, dir);
        rewrite(e -> e.name().equals("model.layers.0.self_attn.k_proj.weight")
                ? new SafetensorsWriter.Entry(e.name(), e.dtype(), new long[] {128, 64}) : e);
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessageContaining("'model.layers.0.self_attn.k_proj.weight'")
                .hasMessageContaining("[128, 64]").hasMessageContaining("[64, 128]");
    }

    @Test
    void wrongQuantizedShapeOrTypeNamesTheTensor() {
        CheckpointMaker.make("tiny", "gptq", 4, 32, true, 1, dir);
        rewrite(e -> e.name().equals("model.layers.1.mlp.down_proj.scales")
                ? new SafetensorsWriter.Entry(e.name(), DType.F32, e.shape()) : e);
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .hasMessageContaining("'model.layers.1.mlp.down_proj.scales'").hasMessageContaining("expected F16 or BF16");
    }

    @Test
    void bf16ScalesAreAccepted() {
        CheckpointMaker.make("tiny", "awq", 4, 32, false, 1, dir);
        rewrite(e -> e.name().endsWith(".scales") ? new SafetensorsWriter.Entry(e.name(), DType.BF16, e.shape()) : e);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            LinearWeight.Awq w = (LinearWeight.Awq) ckpt.linear("model.layers.0.mlp.down_proj", 384, 128);
            assertThat(w.scales().dtype()).isEqualTo(DType.BF16);
        }
    }

    @Test
    void gptqGroupSizeThatDisagreesWithTheTensorsIsAnError() throws IOException {
        CheckpointMaker.make("tiny", "gptq", 4, 32, false, 1, dir);
        Path config = dir.resolve("quantize_config.json");
        Files.writeString(config, Files.readString(config).replace("\"group_size\" : 32", "\"group_size\" : 64"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining(".qzeros'").hasMessageContaining("expected I32");
    }

    @Test
    void awqWithoutMatchingShapesIsAnError() throws IOException {
        CheckpointMaker.make("tiny", "awq", 4, 64, false, 1, dir);
        Path config = dir.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"group_size\" : 64", "\"group_size\" : 32"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining(".qzeros'");
    }

    @Test
    void quantizedTensorsWithoutQuantizationConfigAreAnError() throws IOException {
        CheckpointMaker.make("tiny", "gptq", 4, 64, false, 1, dir);
        Files.delete(dir.resolve("quantize_config.json"));
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining(".qweight'")
                .hasMessageContaining("no quantization config");
    }

    @Test
    void actOrderWithoutGroupIndexIsAnError() {
        CheckpointMaker.make("tiny", "gptq", 4, 64, true, 1, dir);
        rewrite(e -> e.name().equals("model.layers.0.self_attn.o_proj.g_idx") ? null : e);
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("'model.layers.0.self_attn.o_proj.g_idx'");
    }

    @Test
    void gptqWithoutGroupIndexAndWithoutActOrderUsesKOverG() throws IOException {
        CheckpointMaker.make("tiny", "gptq", 4, 32, false, 1, dir);
        String prefix = "model.layers.1.mlp.down_proj";
        float[] withGroupIndex;
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            withGroupIndex = Dequantize.toFloat(ckpt.tensors(), ckpt.linear(prefix, 384, 128));
        }
        try (MappedTensorStore store = MappedTensorStore.open(dir)) {
            List<SafetensorsWriter.Entry> entries = new ArrayList<>();
            for (String name : store.names()) {
                if (name.endsWith(".g_idx")) continue;
                entries.add(new SafetensorsWriter.Entry(name, store.info(name).dtype(), store.info(name).shape()));
            }
            Path copy = Files.createDirectories(dir.resolve("copy"));
            try (SafetensorsWriter w = SafetensorsWriter.create(copy.resolve("model.safetensors"), entries)) {
                for (SafetensorsWriter.Entry e : entries) w.write(e.name(), store.bytes(e.name()));
            }
        }
        try (MappedTensorStore copied = MappedTensorStore.open(dir.resolve("copy"))) {
            assertThat(copied.names()).noneMatch(n -> n.endsWith(".g_idx"));
            LinearWeight.Gptq weight = new LinearWeight.Gptq(384, 128, new Quantization.Gptq(4, 32, false, true, false),
                    copied.info(prefix + ".qweight"), copied.info(prefix + ".qzeros"), copied.info(prefix + ".scales"),
                    null, null);
            assertThat(Dequantize.toFloat(copied, weight)).containsExactly(withGroupIndex);
        }
    }

    @Test
    void missingConfigOrDirectoryIsAnError() throws IOException {
        assertThatThrownBy(() -> Checkpoint.open(dir.resolve("nowhere"))).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("config.json");
        CheckpointMaker.make("tiny", "fp16", 4, 64, false, 1, dir);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\",");
        assertThatThrownBy(() -> Checkpoint.open(dir)).hasMessageContaining("config.json");
    }

    @Test
    void tokenizerJsonIsFoundWhenPresent() throws IOException {
        CheckpointMaker.make("tiny", "fp16", 4, 64, false, 1, dir);
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.tokenizerJson()).isEqualTo(dir.resolve("tokenizer.json"));
            assertThat(ckpt.dir()).isEqualTo(dir);
        }
    }
}
