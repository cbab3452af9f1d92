package dev.inferless.llm.checkpoint;

import java.nio.file.Path;

/** One tensor of a checkpoint: its name, type, shape and where its bytes lie. */
public record TensorInfo(String name, DType dtype, long[] shape, Path file, long offset, long length) {

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
