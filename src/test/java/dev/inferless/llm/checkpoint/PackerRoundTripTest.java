package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.llm.checkpoint.synthetic.AwqPacker;
import dev.inferless.llm.checkpoint.synthetic.GptqPacker;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pack with our packers, store in a safetensors file, dequantize through the checkpoint path; the
 * result must equal, exactly, a plain per-group quantize-dequantize of the same matrix written here
 * independently, and stay within the quantization error of the original weights.
 */
class PackerRoundTripTest {

    @TempDir
    Path dir;

    static Stream<Arguments> gptqVariants() {
        List<Arguments> variants = new ArrayList<>();
        long seed = 1;
        for (int bits : new int[] {4, 8}) {
            for (int group : new int[] {-1, 32, 64, 128}) {
                for (boolean actOrder : new boolean[] {false, true}) {
                    for (boolean sym : new boolean[] {true, false}) {
                        for (boolean v2 : new boolean[] {false, true}) {
                            variants.add(Arguments.of(bits, group, actOrder, sym, v2, seed++));
                        }
                    }
                }
            }
        }
        return variants.stream();
    }

    @ParameterizedTest(name = "gptq {0}-bit g{1} actOrder={2} sym={3} v2={4}")
    @MethodSource("gptqVariants")
    void gptqPackThenDequantizeEqualsPlainQuantizeDequantize(int bits, int group, boolean actOrder, boolean sym,
                                                             boolean v2, long seed) {
        int k = 256;
        int n = 48;
        float[] w = TestTensors.randomMatrix(n, k, seed);
        int groups = group == -1 ? 1 : k / group;
        int[] gIdx = GptqPacker.groupIndex(k, group, actOrder, seed);
        checkGroupIndex(gIdx, groups, group == -1 ? k : group, actOrder);

        GptqPacker.Packed p = GptqPacker.pack(w, k, n, bits, groups, sym, v2, gIdx);
        int perWord = 32 / bits;
        String prefix = "model.layers.0.mlp.up_proj";
        try (MappedTensorStore store = new TestTensors()
                .ints(prefix + ".qweight", p.qweight(), k / perWord, n)
                .ints(prefix + ".qzeros", p.qzeros(), groups, n / perWord)
                .halves(prefix + ".scales", p.scales(), groups, n)
                .ints(prefix + ".g_idx", p.gIdx(), k)
                .open(dir)) {
            LinearWeight.Gptq weight = new LinearWeight.Gptq(k, n, new Quantization.Gptq(bits, group, actOrder, sym, v2),
                    store.info(prefix + ".qweight"), store.info(prefix + ".qzeros"), store.info(prefix + ".scales"),
                    store.info(prefix + ".g_idx"), null);
            float[] dequantized = Dequantize.toFloat(store, weight);
            Reference ref = referenceGptq(w, k, n, bits, gIdx, groups, sym, v2);
            assertSameFloats(dequantized, ref.dequantized);
            assertWithinQuantizationError(w, dequantized, ref.scaleOf, (1 << bits) - 1);
            if (sym && !v2 && bits == 4) {
                assertThat(p.qzeros()).as("sym v1 4-bit zeros are 0x77777777").containsOnly(0x77777777);
            }
        }
    }

    @ParameterizedTest(name = "awq g{0}")
    @MethodSource("awqGroups")
    void awqPackThenDequantizeEqualsPlainQuantizeDequantize(int group, long seed) {
        int k = 256;
        int n = 64;
        float[] w = TestTensors.randomMatrix(n, k, seed);
        AwqPacker.Packed p = AwqPacker.pack(w, k, n, group);
        int groups = k / group;
        String prefix = "model.layers.0.self_attn.q_proj";
        try (MappedTensorStore store = new TestTensors()
                .ints(prefix + ".qweight", p.qweight(), k, n / 8)
                .ints(prefix + ".qzeros", p.qzeros(), groups, n / 8)
                .halves(prefix + ".scales", p.scales(), groups, n)
                .open(dir)) {
            LinearWeight.Awq weight = new LinearWeight.Awq(k, n, new Quantization.Awq(4, group, true),
                    store.info(prefix + ".qweight"), store.info(prefix + ".qzeros"), store.info(prefix + ".scales"), null);
            float[] dequantized = Dequantize.toFloat(store, weight);
            Reference ref = referenceAwq(w, k, n, group);
            assertSameFloats(dequantized, ref.dequantized);
            assertWithinQuantizationError(w, dequantized, ref.scaleOf, 15);
        }
    }

    static Stream<Arguments> awqGroups() {
        return Stream.of(Arguments.of(32, 101L), Arguments.of(64, 102L), Arguments.of(128, 103L), Arguments.of(64, 104L));
    }

    private static void checkGroupIndex(int[] gIdx, int groups, int groupSize, boolean actOrder) {
        int[] members = new int[groups];
        boolean monotonic = true;
        for (int i = 0; i < gIdx.length; i++) {
            members[gIdx[i]]++;
            if (i > 0 && gIdx[i] < gIdx[i - 1]) monotonic = false;
        }
        assertThat(members).containsOnly(groupSize);
        assertThat(monotonic).isEqualTo(!actOrder || groups == 1);
    }

    /** Dequantized matrix, and the scale each element was quantized with. */
    record Reference(float[] dequantized, float[] scaleOf) {}

    /** Plain GPTQ RTN, one group of one column at a time, written without the packer's code. */
    static Reference referenceGptq(float[] w, int k, int n, int bits, int[] gIdx, int groups, boolean sym, boolean v2) {
        int maxq = (1 << bits) - 1;
        float[] out = new float[n * k];
        float[] scaleOf = new float[n * k];
        for (int c = 0; c < n; c++) {
            for (int g = 0; g < groups; g++) {
                float lo = 0;
                float hi = 0;
                for (int i = 0; i < k; i++) {
                    if (gIdx[i] != g) continue;
                    lo = Math.min(lo, w[c * k + i]);
                    hi = Math.max(hi, w[c * k + i]);
                }
                if (sym) {
                    hi = Math.max(hi, -lo);
                    lo = -hi;
                }
                float scale = fp16((hi - lo) / maxq);
                int zero = sym ? (maxq + 1) / 2 : Math.max(0, Math.min(maxq, (int) Math.rint(-lo / scale)));
                if (!sym && !v2 && zero == 0) { // v1 stores z - 1: z = 0 is not storable
                    zero = 1;
                    scale = fp16(hi / (maxq - 1));
                }
                for (int i = 0; i < k; i++) {
                    if (gIdx[i] != g) continue;
                    int q = Math.max(0, Math.min(maxq, (int) Math.rint(w[c * k + i] / scale) + zero));
                    out[c * k + i] = (float) (q - zero) * scale;
                    scaleOf[c * k + i] = scale;
                }
            }
        }
        return new Reference(out, scaleOf);
    }

    /** Plain AWQ RTN with zero point (min..max of the group). */
    static Reference referenceAwq(float[] w, int k, int n, int group) {
        float[] out = new float[n * k];
        float[] scaleOf = new float[n * k];
        for (int c = 0; c < n; c++) {
            for (int start = 0; start < k; start += group) {
                float[] values = Arrays.copyOfRange(w, c * k + start, c * k + start + group);
                float lo = values[0];
                float hi = values[0];
                for (float v : values) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
                float scale = fp16(Math.max(hi - lo, 1e-5f) / 15);
                int zero = Math.max(0, Math.min(15, (int) -Math.rint(lo / scale)));
                for (int i = 0; i < group; i++) {
                    int q = Math.max(0, Math.min(15, (int) Math.rint(values[i] / scale) + zero));
                    out[c * k + start + i] = (float) (q - zero) * scale;
                    scaleOf[c * k + start + i] = scale;
                }
            }
        }
        return new Reference(out, scaleOf);
    }

    private static float fp16(float x) {
        return Fp16.toFloat(Fp16.fromFloat(x));
    }

    /** Bit-for-bit equality, reporting the first difference (AssertJ's array diff is slow on large arrays). */
    static void assertSameFloats(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        int mismatch = Arrays.mismatch(actual, expected);
        if (mismatch >= 0) {
            assertThat(actual[mismatch]).as("element %d", mismatch).isEqualTo(expected[mismatch]);
        }
    }

    /**
     * |w - deq| <= scale/2, plus the fp16 rounding of the scale: the range can fall short of the
     * extreme weight by maxq * (relative fp16 error 2^-11) steps.
     */
    static void assertWithinQuantizationError(float[] w, float[] dequantized, float[] scaleOf, int maxq) {
        int worst = 0;
        float worstExcess = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < w.length; i++) {
            float bound = scaleOf[i] * (0.5f + maxq * 0x1.0p-11f) + 1e-7f;
            float excess = Math.abs(w[i] - dequantized[i]) - bound;
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = i;
            }
        }
        assertThat(worstExcess).as("error beyond the bound at element %d (w %s, deq %s, scale %s)", worst,
                w[worst], dequantized[worst], scaleOf[worst]).isLessThanOrEqualTo(0f);
    }
}
