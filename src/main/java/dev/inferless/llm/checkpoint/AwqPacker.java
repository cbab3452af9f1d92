package dev.inferless.llm.checkpoint;

import java.util.stream.IntStream;

/**
 * Round-to-nearest 4-bit quantization with zero points of a float matrix W [N][K] into AutoAWQ's
 * GEMM layout: qweight [K][N/8] and qzeros [K/G][N/8] packed along N with interleaved nibbles,
 * scales fp16 [K/G][N]. Columns are quantized in parallel, 32 at a time (whole words).
 */
final class AwqPacker {

    /** Packed tensors; scales are fp16 bit patterns. */
    record Packed(int[] qweight, int[] qzeros, short[] scales) {}

    private static final int TILE = 32;

    private AwqPacker() {}

    static Packed pack(float[] w, int k, int n, int groupSize) {
        return pack(MatrixRows.of(w, k), k, n, groupSize);
    }

    static Packed pack(MatrixRows rows, int k, int n, int groupSize) {
        if (n % 8 != 0 || groupSize <= 0 || k % groupSize != 0) {
            throw new IllegalArgumentException("AWQ needs N % 8 == 0 and G dividing K; got K " + k + ", N " + n
                    + ", G " + groupSize);
        }
        int groups = k / groupSize;
        int words = n / 8;
        int[] qweight = new int[k * words];
        int[] qzeros = new int[groups * words];
        short[] scales = new short[groups * n];
        IntStream.range(0, (n + TILE - 1) / TILE).parallel().forEach(tile -> {
            float[] row = new float[k];
            for (int c = tile * TILE; c < Math.min(n, (tile + 1) * TILE); c++) {
                rows.row(c, row);
                int word = c / 8;
                int shift = 4 * Dequantize.AWQ_REVERSE[c % 8];
                for (int g = 0; g < groups; g++) {
                    float min = Float.POSITIVE_INFINITY;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int i = g * groupSize; i < (g + 1) * groupSize; i++) {
                        min = Math.min(min, row[i]);
                        max = Math.max(max, row[i]);
                    }
                    RoundToNearest.Grid grid = RoundToNearest.awq(min, max);
                    scales[g * n + c] = Fp16.fromFloat(grid.scale());
                    qzeros[g * words + word] |= grid.zero() << shift;
                    for (int i = g * groupSize; i < (g + 1) * groupSize; i++) {
                        qweight[i * words + word] |= RoundToNearest.code(row[i], grid, 15) << shift;
                    }
                }
            }
        });
        return new Packed(qweight, qzeros, scales);
    }
}
