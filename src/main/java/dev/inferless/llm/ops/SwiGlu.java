package dev.inferless.llm.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;

/**
 * The Llama MLP's activation: {@code silu(gate) * up} with {@code silu(x) = x * sigmoid(x)}, from the
 * fused gate/up projection's output.
 */
public final class SwiGlu {

    private SwiGlu() {}

    /** {@code gateUp} [..., 2I] holding gate in its first half and up in its second; returns [..., I]. */
    public static NDArray apply(NDArray gateUp) {
        NDList halves = gateUp.split(2, gateUp.getShape().dimension() - 1);
        NDArray gate = halves.get(0);
        NDArray up = halves.get(1);
        return gate.mul(Activation.sigmoid(gate)).mul(up);
    }
}
