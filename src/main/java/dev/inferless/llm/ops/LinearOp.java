package dev.inferless.llm.ops;

import ai.djl.ndarray.NDArray;

/**
 * A linear projection {@code y = x W^T} from {@code in} to {@code out} features, over the last axis of
 * {@code x}. How W is stored (dense, 4-bit packed, fused with its neighbours) is the implementation's
 * business; the result belongs to {@code x}'s manager.
 */
public interface LinearOp extends AutoCloseable {

    int in();

    int out();

    NDArray apply(NDArray x);

    /** Frees the weights. */
    @Override
    void close();
}
