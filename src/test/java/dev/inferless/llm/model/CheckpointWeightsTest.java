package dev.inferless.llm.model;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.DType;
import dev.inferless.llm.checkpoint.GenerationConfig;
import dev.inferless.llm.checkpoint.Quantization;
import dev.inferless.llm.checkpoint.TensorInfo;
import dev.inferless.llm.checkpoint.TensorStore;
import dev.inferless.llm.reference.TinyLlama;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Dense (non-projection) tensors come straight from the store, decoded to float. */
class CheckpointWeightsTest {

    @Test
    void nonProjectionTensorsAreDecodedFromTheStore() {
        ByteBuffer norm = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3c00)
                .putShort((short) 0x4000).flip();
        TensorStore store = new MapStore(Map.of("model.norm.weight",
                new Stored(new TensorInfo("model.norm.weight", DType.F16, new long[] {2}, Path.of("m.safetensors"), 0, 4),
                        norm)));
        Checkpoint ckpt = new Checkpoint(Path.of("."), TinyLlama.config(), GenerationConfig.defaults(),
                new Quantization.None(), store, null);
        CheckpointWeights weights = new CheckpointWeights(ckpt);
        assertThat(weights.apply("model.norm.weight")).containsExactly(1.0f, 2.0f);
        assertThatThrownBy(() -> weights.apply("lm_head.weight")).hasMessageContaining("lm_head.weight");
    }

    private record Stored(TensorInfo info, ByteBuffer bytes) {}

    private record MapStore(Map<String, Stored> tensors) implements TensorStore {
        @Override
        public Set<String> names() {
            return tensors.keySet();
        }

        @Override
        public TensorInfo info(String name) {
            Stored s = tensors.get(name);
            if (s == null) {
                throw new IllegalArgumentException("no tensor " + name);
            }
            return s.info();
        }

        @Override
        public ByteBuffer bytes(String name) {
            info(name);
            return tensors.get(name).bytes().duplicate();
        }

        @Override
        public void close() {}
    }
}
