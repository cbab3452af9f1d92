package dev.inferless.llm.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Grouped-query attention of T new queries over the cached keys and values of L positions. Query head
 * h reads KV head h / group: the queries are laid out [kvHeads, group * T, d] so one batched matmul
 * per side serves every group without repeating the cache.
 */
public final class CausalAttention {

    private CausalAttention() {}

    /**
     * @param q      [T, heads, d], rotated
     * @param keys   [kvHeads, L, d], rotated, the new positions included
     * @param values [kvHeads, L, d]
     * @param mask   [T, L] additive (0 or -inf), or null when every query sees every key (decode)
     * @param scale  1/sqrt(d) as a scalar on the device, in the model dtype
     * @return [T, heads * d]
     */
    public static NDArray attend(NDArray q, NDArray keys, NDArray values, NDArray mask, NDArray scale) {
        long t = q.getShape().get(0);
        long heads = q.getShape().get(1);
        long d = q.getShape().get(2);
        long kvHeads = keys.getShape().get(0);
        long length = keys.getShape().get(1);
        long group = heads / kvHeads;
        NDArray queries = q.transpose(1, 0, 2).reshape(kvHeads, group * t, d).mul(scale);
        NDArray scores = queries.matMul(keys.transpose(0, 2, 1));
        if (mask != null) {
            scores = scores.reshape(kvHeads, group, t, length).add(mask).reshape(kvHeads, group * t, length);
        }
        NDArray out = scores.softmax(-1).matMul(values);
        return out.reshape(heads, t, d).transpose(1, 0, 2).reshape(t, heads * d);
    }

    /** 1/sqrt(headDim) as a device scalar for {@link #attend}. */
    public static NDArray scale(NDManager manager, int headDim, DataType dtype) {
        return manager.create((float) (1.0 / Math.sqrt(headDim))).toType(dtype, false);
    }

    /** Additive mask [T, L] for T queries starting at {@code position}: query i sees keys 0..position+i. */
    public static NDArray causalMask(NDManager manager, int position, int t, DataType dtype) {
        int length = position + t;
        float[] m = new float[t * length];
        for (int i = 0; i < t; i++) {
            for (int j = position + i + 1; j < length; j++) {
                m[i * length + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return manager.create(m, new Shape(t, length)).toType(dtype, false);
    }
}
