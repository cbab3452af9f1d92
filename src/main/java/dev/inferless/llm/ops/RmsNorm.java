package dev.inferless.llm.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * RMSNorm over the last axis: {@code x / sqrt(mean(x^2) + eps) * w}, computed in float32 like HF Llama,
 * then cast to the model's dtype (passed in: DJL reports bfloat16 tensors from torch as UNKNOWN).
 * {@code eps} is a float32 scalar already on the device: a Java number operand would cost a
 * host-to-device copy per call.
 */
public final class RmsNorm {

    private RmsNorm() {}

    public static NDArray apply(NDArray x, NDArray weight, NDArray eps, DataType dtype) {
        NDArray x32 = x.toType(DataType.FLOAT32, false);
        NDArray rms = x32.mul(x32).mean(new int[] {-1}, true).add(eps).sqrt();
        return x32.div(rms).toType(dtype, false).mul(weight);
    }
}
