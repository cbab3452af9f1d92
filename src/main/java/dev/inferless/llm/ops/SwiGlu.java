package dev.inferless.llm.ops;

import ai.djl.ndarray.NDArray;

/** The Llama MLP's activation: {@code silu(gate) * up}, from the fused gate/up projection's output. */
public final class SwiGlu {

    private SwiGlu() {}

    /** {@code gateUp} [..., 2I] holding gate in its first half and up in its second; returns [..., I]. */
    public static NDArray apply(NDArray gateUp) {
        long width = gateUp.getShape().get(gateUp.getShape().dimension() - 1);
        long half = width / 2;
        NDArray gate = gateUp.get("..., :{}", half);
        NDArray up = gateUp.get("..., {}:", half);
        NDArray silu = gate.div(gate.neg().exp().add(1));
        return silu.mul(up);
    }
}
