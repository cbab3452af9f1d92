package dev.inferless.llm.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

import java.util.List;

/**
 * The portable linear projection: a dense weight [out, in] on the device, multiplied through its
 * transposed view (no copy; the matmul reads it as W^T the way torch's linear does).
 */
public final class DenseLinear implements LinearOp {

    private final NDArray weight;
    private final NDArray weightT;
    private final boolean ownsWeight;

    /** Takes ownership of {@code weight} [out, in]. */
    public DenseLinear(NDArray weight) {
        this(weight, true);
    }

    /** Multiplies by {@code weight} [out, in] without owning it (tied embeddings: the head is the embedding matrix). */
    public static DenseLinear sharing(NDArray weight) {
        return new DenseLinear(weight, false);
    }

    private DenseLinear(NDArray weight, boolean ownsWeight) {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("a linear weight is 2-d [out, in], got " + weight.getShape());
        }
        this.weight = weight;
        this.ownsWeight = ownsWeight;
        this.weightT = weight.transpose();
    }

    /**
     * One projection computing several at once: the parts [out_i, in] stacked along out, so that
     * q/k/v (or gate/up) cost one matmul. Takes ownership of the parts and closes them.
     */
    public static DenseLinear fused(List<NDArray> parts) {
        NDArray stacked = NDArrays.concat(new NDList(parts), 0);
        parts.forEach(NDArray::close);
        return new DenseLinear(stacked);
    }

    @Override
    public int in() {
        return (int) weight.getShape().get(1);
    }

    @Override
    public int out() {
        return (int) weight.getShape().get(0);
    }

    @Override
    public NDArray apply(NDArray x) {
        return x.matMul(weightT);
    }

    @Override
    public void close() {
        weightT.close();
        if (ownsWeight) {
            weight.close();
        }
    }
}
