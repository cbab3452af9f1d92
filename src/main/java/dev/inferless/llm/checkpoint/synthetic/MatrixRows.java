package dev.inferless.llm.checkpoint.synthetic;

/** A weight matrix [out][in] handed out one row at a time, so a packer never needs all of it at once. */
@FunctionalInterface
public interface MatrixRows {

    /** Fills {@code target} (length in) with row {@code row}. Called from several threads at once. */
    void row(int row, float[] target);

    static MatrixRows of(float[] matrix, int in) {
        return (row, target) -> System.arraycopy(matrix, row * in, target, 0, in);
    }
}
