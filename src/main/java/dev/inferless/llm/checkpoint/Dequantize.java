package dev.inferless.llm.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * Turns a stored linear projection into dense floats: the portable path and the tests' reference.
 * Every element is computed as {@code (float) (q - z) * scale}, the same expression the packers'
 * tests use, so results compare exactly. Work is split over tiles of output rows in parallel.
 */
public final class Dequantize {

    /** Output rows per parallel task; 16 ints of a packed row are one cache line. */
    private static final int TILE = 16;

    /** AWQ packs column 8c + ORDER[i] into nibble i; column j of a word sits in nibble REVERSE[j]. */
    static final int[] AWQ_ORDER = {0, 2, 4, 6, 1, 3, 5, 7};
    public static final int[] AWQ_REVERSE = {0, 4, 1, 5, 2, 6, 3, 7};

    private Dequantize() {}

    /** Row-major [out][in] (the layout of an unquantized {@code .weight}), as float32. */
    public static float[] toFloat(TensorStore store, LinearWeight weight) {
        if (weight instanceof LinearWeight.Dense d) return dense(store, d.weight());
        if (weight instanceof LinearWeight.Gptq g) return gptq(store, g);
        if (weight instanceof LinearWeight.Awq a) return awq(store, a);
        throw new IllegalArgumentException("unknown weight form " + weight);
    }

    /** Any F32/F16/BF16 tensor as floats, in its stored order. */
    public static float[] dense(TensorStore store, TensorInfo info) {
        ByteBuffer bytes = store.bytes(info.name()).order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(info.elements());
        float[] out = new float[n];
        switch (info.dtype()) {
            case F32 -> bytes.asFloatBuffer().get(out);
            case F16, BF16 -> {
                short[] raw = new short[n];
                bytes.asShortBuffer().get(raw);
                boolean half = info.dtype() == DType.F16;
                int chunk = 1 << 16;
                IntStream.range(0, (n + chunk - 1) / chunk).parallel().forEach(c -> {
                    int end = Math.min(n, (c + 1) * chunk);
                    for (int i = c * chunk; i < end; i++) {
                        out[i] = half ? Fp16.toFloat(raw[i]) : Bf16.toFloat(raw[i]);
                    }
                });
            }
            default -> throw new IllegalArgumentException("tensor '" + info.name() + "' has dtype "
                    + info.dtype() + ", not a float type");
        }
        return out;
    }

    static float[] gptq(TensorStore store, LinearWeight.Gptq w) {
        int k = w.in();
        int n = w.out();
        int bits = w.format().bits();
        int groupSize = w.format().groupSize() == -1 ? k : w.format().groupSize();
        int groups = CheckpointReader.gptqGroups(w.qweight().name(), k, w.format().groupSize());
        int[] gIdx = w.gIdx() != null ? ints(store, w.gIdx()) : null;
        if (gIdx == null) {
            gIdx = new int[k];
            for (int i = 0; i < k; i++) gIdx[i] = i / groupSize;
        } else {
            checkGroupIndex(w.gIdx().name(), gIdx, groups);
        }
        return gptq(ints(store, w.qweight()), ints(store, w.qzeros()), halves(store, w.scales()), gIdx,
                k, n, bits, groups, w.format().v2());
    }

    /** GPTQ from arrays: qweight [K*b/32][N], qzeros [groups][N*b/32], scales [groups][N], gIdx [K]. */
    static float[] gptq(int[] qweight, int[] qzeros, float[] scales, int[] gIdx,
                        int k, int n, int bits, int groups, boolean v2) {
        int perWord = 32 / bits;
        int mask = (1 << bits) - 1;
        int zeroOffset = v2 ? 0 : 1;
        int zeroWords = n / perWord;
        float[] out = new float[Math.multiplyExact(n, k)];
        IntStream.range(0, (n + TILE - 1) / TILE).parallel().forEach(tile -> {
            int n0 = tile * TILE;
            int n1 = Math.min(n, n0 + TILE);
            int width = n1 - n0;
            // zeros and scales of this tile, [group][column], so the inner loop only indexes arrays
            int[] zeros = new int[groups * width];
            float[] tileScales = new float[groups * width];
            for (int g = 0; g < groups; g++) {
                for (int c = n0; c < n1; c++) {
                    int word = qzeros[g * zeroWords + c / perWord];
                    zeros[g * width + c - n0] = ((word >>> (bits * (c % perWord))) & mask) + zeroOffset;
                    tileScales[g * width + c - n0] = scales[g * n + c];
                }
            }
            // one packed row at a time: its 16 words of this tile are one cache line
            for (int r = 0; r < k / perWord; r++) {
                for (int c = n0; c < n1; c++) {
                    int word = qweight[r * n + c];
                    int local = c - n0;
                    int at = c * k + r * perWord;
                    for (int j = 0; j < perWord; j++) {
                        int g = gIdx[r * perWord + j] * width + local;
                        int q = (word >>> (bits * j)) & mask;
                        out[at + j] = (float) (q - zeros[g]) * tileScales[g];
                    }
                }
            }
        });
        return out;
    }

    static float[] awq(TensorStore store, LinearWeight.Awq w) {
        return awq(ints(store, w.qweight()), ints(store, w.qzeros()), halves(store, w.scales()),
                w.in(), w.out(), w.format().groupSize());
    }

    /** AWQ GEMM from arrays: qweight [K][N/8], qzeros [K/G][N/8], scales [K/G][N]. */
    static float[] awq(int[] qweight, int[] qzeros, float[] scales, int k, int n, int groupSize) {
        int words = n / 8;
        float[] out = new float[Math.multiplyExact(n, k)];
        int wordTile = TILE;
        IntStream.range(0, (words + wordTile - 1) / wordTile).parallel().forEach(tile -> {
            int w0 = tile * wordTile;
            int w1 = Math.min(words, w0 + wordTile);
            int[] zeros = new int[(w1 - w0) * 8];
            float[] tileScales = new float[(w1 - w0) * 8];
            for (int kk = 0; kk < k; kk++) {
                if (kk % groupSize == 0) {
                    int g = kk / groupSize;
                    for (int wi = w0; wi < w1; wi++) {
                        int zword = qzeros[g * words + wi];
                        for (int j = 0; j < 8; j++) {
                            int local = (wi - w0) * 8 + j;
                            zeros[local] = (zword >>> (4 * AWQ_REVERSE[j])) & 0xf;
                            tileScales[local] = scales[g * n + wi * 8 + j];
                        }
                    }
                }
                for (int wi = w0; wi < w1; wi++) {
                    int word = qweight[kk * words + wi];
                    for (int j = 0; j < 8; j++) {
                        int local = (wi - w0) * 8 + j;
                        int q = (word >>> (4 * AWQ_REVERSE[j])) & 0xf;
                        out[(wi * 8 + j) * k + kk] = (float) (q - zeros[local]) * tileScales[local];
                    }
                }
            }
        });
        return out;
    }

    private static void checkGroupIndex(String name, int[] gIdx, int groups) {
        for (int i = 0; i < gIdx.length; i++) {
            if (gIdx[i] < 0 || gIdx[i] >= groups) {
                throw new IllegalArgumentException("tensor '" + name + "': g_idx[" + i + "] = " + gIdx[i]
                        + " is outside [0, " + groups + ")");
            }
        }
    }

    static int[] ints(TensorStore store, TensorInfo info) {
        int[] values = new int[Math.toIntExact(info.elements())];
        store.bytes(info.name()).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(values);
        return values;
    }

    /** F16 or BF16 values (scales) as floats, exactly. */
    public static float[] halves(TensorStore store, TensorInfo info) {
        short[] raw = new short[Math.toIntExact(info.elements())];
        store.bytes(info.name()).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(raw);
        float[] values = new float[raw.length];
        boolean bf16 = info.dtype() == DType.BF16;
        for (int i = 0; i < raw.length; i++) values[i] = bf16 ? Bf16.toFloat(raw[i]) : Fp16.toFloat(raw[i]);
        return values;
    }
}
