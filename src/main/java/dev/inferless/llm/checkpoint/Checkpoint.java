package dev.inferless.llm.checkpoint;

import java.nio.file.Path;

/**
 * A Llama checkpoint in the Hugging Face layout, opened: configuration, quantization, and the
 * tensors (memory-mapped). {@link #open} validates everything it can before any weight is read.
 */
public record Checkpoint(
        Path dir,
        LlamaConfig config,
        GenerationConfig generation,
        Quantization quantization,
        TensorStore tensors,
        Path tokenizerJson) implements AutoCloseable {

    /** Opens a checkpoint directory; errors name the file, field or tensor at fault. */
    public static Checkpoint open(Path dir) {
        return CheckpointReader.open(dir);
    }

    /** The stored form of projection {@code prefix} (e.g. "model.layers.3.mlp.down_proj"). */
    public LinearWeight linear(String prefix, int in, int out) {
        return CheckpointReader.linear(this, prefix, in, out);
    }

    @Override
    public void close() {
        tensors.close();
    }
}
