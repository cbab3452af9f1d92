package dev.inferless.llm.model;

import ai.djl.ndarray.NDArray;
import dev.inferless.llm.ops.LinearOp;

/** One decoder layer's weights on the device, with q/k/v and gate/up each fused into one projection. */
record LayerWeights(
        NDArray inputNorm,
        LinearOp qkv,
        LinearOp o,
        NDArray postAttentionNorm,
        LinearOp gateUp,
        LinearOp down) implements AutoCloseable {

    @Override
    public void close() {
        inputNorm.close();
        qkv.close();
        o.close();
        postAttentionNorm.close();
        gateUp.close();
        down.close();
    }
}
