package dev.inferless.llm.checkpoint.synthetic;

import dev.inferless.llm.checkpoint.Dequantize;
import dev.inferless.llm.checkpoint.Fp16;
import java.util.stream.IntStream;

/**
 * Round-to-nearest 4-bit quantization with zero points of a float matrix W [N][K] into AutoAWQ's
 * GEMM layout: qweight [K][N/8] and qzeros [K/G][N/8] packed along N with interleaved nibbles,
 * scales fp16 [K/G][N]. Columns are quantized in parallel, 8 at a time (one word).
 */
public final class AwqPacker {

    /** Packed tensors; scales are fp16 bit patterns. */
    public record Packed(int[] qweight, int[] qzeros, short[] scales) {}

    private AwqPacker() {}

    public static Packed pack(float[] w, int k, int n, int groupSize) {
        return pack(MatrixRows.of(w, k), k, n, groupSize);
    }

    public static Packed pack(MatrixRows rows, int k, int n, int groupSize) {
        if (n % 8 != 0 || groupSize <= 0 || k % groupSize != 0) {
            throw new IllegalArgumentException("AWQ needs N % 8 == 0 and G dividing K; got K " + k + ", N " + n
                    + ", G " + groupSize);
        }
        int groups = k / groupSize;
        int words = n / 8;
        int[] qweight = new int[k * words];
        int[] qzeros = new int[groups * words];
        short[] scales = new short[groups * n];
        // one task per packed word: its 8 columns are made together, so each word is written once
        IntStream.range(0, words).parallel().forEach(word -> {
            float[][] columns = new float[8][k];
            float[] groupScale = new float[groups * 8];
            int[] groupZero = new int[groups * 8];
            for (int j = 0; j < 8; j++) {
                int c = word * 8 + j;
                float[] row = columns[j];
                rows.row(c, row);
                for (int g = 0; g < groups; g++) {
                    float min = Float.POSITIVE_INFINITY;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int i = g * groupSize; i < (g + 1) * groupSize; i++) {
                        min = Math.min(min, row[i]);
                        max = Math.max(max, row[i]);
                    }
                    RoundToNearest.Grid grid = RoundToNearest.awq(min, max);
                    groupScale[g * 8 + j] = grid.scale();
                    groupZero[g * 8 + j] = grid.zero();
                    scales[g * n + c] = Fp16.fromFloat(grid.scale());
                }
            }
            for (int g = 0; g < groups; g++) {
                int zeros = 0;
                for (int j = 0; j < 8; j++) zeros |= groupZero[g * 8 + j] << (4 * Dequantize.AWQ_REVERSE[j]);
                qzeros[g * words + word] = zeros;
            }
            for (int i = 0; i < k; i++) {
                int g = i / groupSize;
                int packed = 0;
                for (int j = 0; j < 8; j++) {
                    int q = RoundToNearest.code(columns[j][i], groupScale[g * 8 + j], groupZero[g * 8 + j], 15);
                    packed |= q << (4 * Dequantize.AWQ_REVERSE[j]);
                }
                qweight[i * words + word] = packed;
            }
        });
        return new Packed(qweight, qzeros, scales);
    }
}
