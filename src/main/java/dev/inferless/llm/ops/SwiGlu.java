package dev.inferless.llm.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/** The Llama MLP's activation: {@code silu(gate) * up}, from the fused gate/up projection's output. */
public final class SwiGlu {

    private SwiGlu() {}

    /** {@code gateUp} [..., 2I] holding gate in its first half and up in its second; returns [..., I]. */
    public static NDArray apply(NDArray gateUp) {
        NDList halves = gateUp.split(2, gateUp.getShape().dimension() - 1);
        NDArray gate = halves.get(0);
        NDArray up = halves.get(1);
        NDArray silu = gate.div(gate.neg().exp().add(1));
        return silu.mul(up);
    }
}
