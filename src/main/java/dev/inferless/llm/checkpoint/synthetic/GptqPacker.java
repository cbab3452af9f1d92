package dev.inferless.llm.checkpoint.synthetic;

import dev.inferless.llm.checkpoint.Fp16;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Round-to-nearest quantization of a float matrix W [N][K] into the AutoGPTQ layout: qweight
 * [K*b/32][N] packed along K, qzeros [groups][N*b/32] packed along N (v1 stores z - 1), scales fp16
 * [groups][N], g_idx [K]. Columns are quantized in parallel, 32 at a time (whole qzeros words).
 */
public final class GptqPacker {

    /** Packed tensors; scales are fp16 bit patterns. */
    public record Packed(int[] qweight, int[] qzeros, short[] scales, int[] gIdx) {}

    private static final int TILE = 32;

    private GptqPacker() {}

    /**
     * g_idx for K inputs: k / G in order, or with act-order the group of k's rank in a random
     * permutation (standing in for the Hessian order): non-monotonic, every group has G members.
     */
    public static int[] groupIndex(int k, int groupSize, boolean actOrder, long seed) {
        int g = groupSize == -1 ? k : groupSize;
        int[] order = IntStream.range(0, k).toArray();
        if (actOrder) {
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = k - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        int[] gIdx = new int[k];
        for (int rank = 0; rank < k; rank++) gIdx[order[rank]] = rank / g;
        return gIdx;
    }

    public static Packed pack(float[] w, int k, int n, int bits, int groups, boolean sym, boolean v2, int[] gIdx) {
        return pack(MatrixRows.of(w, k), k, n, bits, groups, sym, v2, gIdx);
    }

    public static Packed pack(MatrixRows rows, int k, int n, int bits, int groups, boolean sym, boolean v2, int[] gIdx) {
        if (bits != 4 && bits != 8) throw new IllegalArgumentException("bits " + bits + " is not supported (4 or 8)");
        int perWord = 32 / bits;
        if (k % perWord != 0 || n % perWord != 0) {
            throw new IllegalArgumentException("K " + k + " and N " + n + " must be multiples of " + perWord);
        }
        int maxq = (1 << bits) - 1;
        int minZero = v2 || sym ? 0 : 1;
        int zeroOffset = v2 ? 0 : 1;
        int[] qweight = new int[k / perWord * n];
        int[] qzeros = new int[groups * (n / perWord)];
        short[] scales = new short[groups * n];
        IntStream.range(0, (n + TILE - 1) / TILE).parallel().forEach(tile -> {
            float[] row = new float[k];
            float[] min = new float[groups];
            float[] max = new float[groups];
            float[] groupScale = new float[groups];
            int[] groupZero = new int[groups];
            for (int c = tile * TILE; c < Math.min(n, (tile + 1) * TILE); c++) {
                rows.row(c, row);
                Arrays.fill(min, Float.POSITIVE_INFINITY);
                Arrays.fill(max, Float.NEGATIVE_INFINITY);
                for (int i = 0; i < k; i++) {
                    int g = gIdx[i];
                    min[g] = Math.min(min[g], row[i]);
                    max[g] = Math.max(max[g], row[i]);
                }
                for (int g = 0; g < groups; g++) {
                    RoundToNearest.Grid grid = RoundToNearest.gptq(min[g], max[g], bits, sym, minZero);
                    groupScale[g] = grid.scale();
                    groupZero[g] = grid.zero();
                    scales[g * n + c] = Fp16.fromFloat(grid.scale());
                    int stored = grid.zero() - zeroOffset;
                    qzeros[g * (n / perWord) + c / perWord] |= stored << (bits * (c % perWord));
                }
                for (int r = 0; r < k / perWord; r++) {
                    int word = 0;
                    for (int j = 0; j < perWord; j++) {
                        int i = r * perWord + j;
                        int g = gIdx[i];
                        word |= RoundToNearest.code(row[i], groupScale[g], groupZero[g], maxq) << (bits * j);
                    }
                    qweight[r * n + c] = word;
                }
            }
        });
        return new Packed(qweight, qzeros, scales, gIdx);
    }
}
