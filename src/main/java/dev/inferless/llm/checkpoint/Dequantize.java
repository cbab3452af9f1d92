package dev.inferless.llm.checkpoint;

/** Turns a stored linear projection into dense floats: the portable path and the tests' reference. */
public final class Dequantize {

    private Dequantize() {}

    /** Row-major [out][in] (the layout of an unquantized {@code .weight}), as float32. */
    public static float[] toFloat(TensorStore store, LinearWeight weight) {
        throw new UnsupportedOperationException("dequantization is being written (issue 3)");
    }
}
