package dev.inferless.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A session's static KV cache: per layer, keys and values [kvHeads, maxTokens, headDim], allocated
 * once. Steps write their new positions in place and read a prefix as a view, so a head's keys
 * stay contiguous and the batched attention matmul reads them without a copy.
 */
final class KvCache {

    private final NDArray[] keys;
    private final NDArray[] values;
    private final int maxTokens;

    /** The arrays belong to {@code manager} (the session's) and are freed with it. */
    KvCache(NDManager manager, int layers, int kvHeads, int maxTokens, int headDim, DataType dtype) {
        this.maxTokens = maxTokens;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        Shape shape = new Shape(kvHeads, maxTokens, headDim);
        for (int l = 0; l < layers; l++) {
            keys[l] = manager.zeros(shape, dtype);
            values[l] = manager.zeros(shape, dtype);
        }
    }

    int maxTokens() {
        return maxTokens;
    }

    /** Stores k, v [T, kvHeads, headDim] at positions [position, position + T). */
    void write(int layer, int position, NDArray k, NDArray v) {
        long t = k.getShape().get(0);
        NDIndex slots = NDIndex.sliceAxis(1, position, position + t);
        keys[layer].set(slots, k.transpose(1, 0, 2));
        values[layer].set(slots, v.transpose(1, 0, 2));
    }

    /** Keys [kvHeads, length, headDim] of positions [0, length), a view owned by {@code step}. */
    NDArray keys(NDManager step, int layer, int length) {
        return keys[layer].get(step, NDIndex.sliceAxis(1, 0, length));
    }

    /** Values [kvHeads, length, headDim] of positions [0, length), a view owned by {@code step}. */
    NDArray values(NDManager step, int layer, int length) {
        return values[layer].get(step, NDIndex.sliceAxis(1, 0, length));
    }
}
