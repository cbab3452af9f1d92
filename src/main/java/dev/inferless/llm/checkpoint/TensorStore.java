package dev.inferless.llm.checkpoint;

import java.nio.ByteBuffer;
import java.util.Set;

/** The tensors of a checkpoint, by name, over one or several safetensors files. */
public interface TensorStore extends AutoCloseable {

    Set<String> names();

    /** Throws IllegalArgumentException naming the tensor when it is absent. */
    TensorInfo info(String name);

    /** The tensor's raw bytes, little-endian, read-only (a slice of a memory map where possible). */
    ByteBuffer bytes(String name);

    @Override
    void close();
}
