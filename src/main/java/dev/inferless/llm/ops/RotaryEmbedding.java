package dev.inferless.llm.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * RoPE as Hugging Face Llama applies it (rotate_half: dimension i pairs with i + d/2), with linear
 * scaling (position / factor). The cos and signed-sin tables are computed once in double precision
 * for every position, so a step only slices them.
 */
public final class RotaryEmbedding implements AutoCloseable {

    private final NDArray cos;
    private final NDArray sinSigned;
    private final int maxPositions;

    public RotaryEmbedding(NDManager manager, int maxPositions, int headDim, double theta, double scalingFactor,
                           DataType dtype) {
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for RoPE, got " + headDim);
        }
        this.maxPositions = maxPositions;
        int half = headDim / 2;
        float[] c = new float[maxPositions * headDim];
        float[] s = new float[maxPositions * headDim];
        for (int p = 0; p < maxPositions; p++) {
            double pos = p / scalingFactor;
            for (int i = 0; i < half; i++) {
                double angle = pos * Math.pow(theta, -2.0 * i / headDim);
                int row = p * headDim;
                c[row + i] = (float) Math.cos(angle);
                c[row + i + half] = (float) Math.cos(angle);
                s[row + i] = (float) -Math.sin(angle);
                s[row + i + half] = (float) Math.sin(angle);
            }
        }
        Shape shape = new Shape(maxPositions, 1, headDim);
        this.cos = inDtype(manager.create(c, shape), dtype);
        this.sinSigned = inDtype(manager.create(s, shape), dtype);
    }

    private static NDArray inDtype(NDArray table, DataType dtype) {
        NDArray converted = table.toType(dtype, false);
        if (converted != table) {
            table.close();
        }
        return converted;
    }

    /** cos and signed sin [length, 1, d] for positions [position, position + length), owned by {@code step}. */
    public NDList rows(NDManager step, int position, int length) {
        if (position + length > maxPositions) {
            throw new IllegalArgumentException("position " + (position + length - 1)
                    + " is beyond the RoPE table of " + maxPositions + " positions");
        }
        NDIndex range = NDIndex.sliceAxis(0, position, position + length);
        return new NDList(cos.get(step, range), sinSigned.get(step, range));
    }

    /**
     * Rotates {@code x} [T, heads, d] with rows from {@link #rows}: {@code x*cos + rotate_half(x)*sin},
     * where rotate_half(x)*sin equals [x2, x1] * [-sin, sin].
     */
    public static NDArray rotate(NDArray x, NDList rows) {
        int last = x.getShape().dimension() - 1;
        NDList halves = x.split(2, last);
        NDArray swapped = halves.get(1).concat(halves.get(0), last);
        return x.mul(rows.get(0)).add(swapped.mul(rows.get(1)));
    }

    @Override
    public void close() {
        cos.close();
        sinSigned.close();
    }
}
