package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-built words checked against the layout facts of FORMATS.md, independently of our packers
 * (a packer and dequantizer agreeing on a wrong layout would pass the round-trip tests).
 */
class DequantizeLayoutTest {

    @TempDir
    Path dir;

    private static short[] halves(float... values) {
        short[] h = new short[values.length];
        for (int i = 0; i < values.length; i++) h[i] = Fp16.fromFloat(values[i]);
        return h;
    }

    private static short[] filled(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return halves(v);
    }

    /** 4-bit GPTQ, K = N = 8: nibble j (bits 4j..4j+3) of qweight[0][n] is q[j][n]; zeros packed along N. */
    private float[] gptq4(boolean v2, int zeroNibble, int[] gIdx, short[] scales, int groups) {
        int[] qweight = new int[8];
        for (int n = 0; n < 8; n++) {
            for (int j = 0; j < 8; j++) qweight[n] |= ((j + 2 * n) % 16) << (4 * j);
        }
        int[] qzeros = new int[groups];
        for (int g = 0; g < groups; g++) {
            for (int c = 0; c < 8; c++) qzeros[g] |= zeroNibble << (4 * c);
        }
        String p = "l";
        try (MappedTensorStore store = new TestTensors()
                .ints(p + ".qweight", qweight, 1, 8).ints(p + ".qzeros", qzeros, groups, 1)
                .halves(p + ".scales", scales, groups, 8).ints(p + ".g_idx", gIdx, 8).open(dir)) {
            return Dequantize.toFloat(store, new LinearWeight.Gptq(8, 8,
                    new Quantization.Gptq(4, groups == 1 ? -1 : 4, groups > 1, true, v2),
                    store.info("l.qweight"), store.info("l.qzeros"), store.info("l.scales"), store.info("l.g_idx"), null));
        }
    }

    @Test
    void bf16ScalesAreReadAsBf16() {
        // 0.5 and 0.375 in bfloat16 (0x3F00, 0x3EC0); read as fp16 they would be 1.75 and 1.6875.
        short[] scales = new short[8];
        for (int n = 0; n < 8; n++) scales[n] = Bf16.fromFloat(n % 2 == 0 ? 0.5f : 0.375f);
        int[] qweight = new int[8];
        for (int n = 0; n < 8; n++) {
            for (int j = 0; j < 8; j++) qweight[n] |= ((j + 2 * n) % 16) << (4 * j);
        }
        try (MappedTensorStore store = new TestTensors()
                .ints("l.qweight", qweight, 1, 8).ints("l.qzeros", new int[] {0x77777777}, 1, 1)
                .bf16s("l.scales", scales, 1, 8).ints("l.g_idx", new int[8], 8).open(dir)) {
            float[] w = Dequantize.toFloat(store, new LinearWeight.Gptq(8, 8, new Quantization.Gptq(4, -1, false, true, false),
                    store.info("l.qweight"), store.info("l.qzeros"), store.info("l.scales"), store.info("l.g_idx"), null));
            for (int n = 0; n < 8; n++) {
                for (int k = 0; k < 8; k++) {
                    assertThat(w[n * 8 + k]).as("w[%d][%d]", n, k)
                            .isEqualTo((((k + 2 * n) % 16) - 8) * (n % 2 == 0 ? 0.5f : 0.375f));
                }
            }
        }
    }

    @Test
    void gptqV1AddsOneToStoredZerosAndShiftsUnsigned() {
        float[] w = gptq4(false, 7, new int[8], filled(8, 0.5f), 1);
        for (int n = 0; n < 8; n++) {
            for (int k = 0; k < 8; k++) {
                // q up to 15 in the top nibble: a signed shift would make it negative
                assertThat(w[n * 8 + k]).as("w[%d][%d]", n, k).isEqualTo((((k + 2 * n) % 16) - 8) * 0.5f);
            }
        }
    }

    @Test
    void gptqV2UsesStoredZerosAsIs() {
        float[] w = gptq4(true, 7, new int[8], filled(8, 1f), 1);
        assertThat(w[3 * 8 + 5]).isEqualTo(((5 + 6) % 16) - 7);
    }

    @Test
    void gptqGroupIndexPicksScaleAndZeroPerInputRow() {
        int[] gIdx = {1, 0, 1, 0, 0, 1, 1, 0};
        short[] scales = new short[16];
        System.arraycopy(filled(8, 1f), 0, scales, 0, 8);
        System.arraycopy(filled(8, 2f), 0, scales, 8, 8);
        float[] w = gptq4(false, 7, gIdx, scales, 2);
        for (int k = 0; k < 8; k++) {
            float scale = gIdx[k] == 0 ? 1f : 2f;
            assertThat(w[2 * 8 + k]).isEqualTo((((k + 4) % 16) - 8) * scale);
        }
    }

    @Test
    void gptqGroupIndexOutOfRangeNamesTheTensor() {
        assertThatThrownBy(() -> gptq4(false, 7, new int[] {0, 0, 0, 0, 0, 0, 0, 5}, filled(16, 1f), 2))
                .hasMessageContaining("'l.g_idx'").hasMessageContaining("g_idx[7] = 5");
    }

    @Test
    void gptq8BitHoldsFourRowsPerWord() {
        // K = 4, N = 4: byte j of qweight[0][n] is q[j][n]; zeros (stored 127, v1) packed along N
        int[] qweight = new int[4];
        for (int n = 0; n < 4; n++) {
            for (int j = 0; j < 4; j++) qweight[n] |= (60 * j + n + 10) << (8 * j);
        }
        int zeros = 0;
        for (int c = 0; c < 4; c++) zeros |= 127 << (8 * c);
        try (MappedTensorStore store = new TestTensors()
                .ints("l.qweight", qweight, 1, 4).ints("l.qzeros", new int[] {zeros}, 1, 1)
                .halves("l.scales", filled(4, 0.25f), 1, 4).ints("l.g_idx", new int[4], 4).open(dir)) {
            float[] w = Dequantize.toFloat(store, new LinearWeight.Gptq(4, 4, new Quantization.Gptq(8, -1, false, true, false),
                    store.info("l.qweight"), store.info("l.qzeros"), store.info("l.scales"), store.info("l.g_idx"), null));
            for (int n = 0; n < 4; n++) {
                for (int k = 0; k < 4; k++) assertThat(w[n * 4 + k]).isEqualTo((60 * k + n + 10 - 128) * 0.25f);
            }
        }
    }

    @Test
    void awqNibblesAreInterleaved() {
        // K = 2, N = 8, G = 2: nibble i holds column ORDER[i] = {0,2,4,6,1,3,5,7}[i]
        int[] order = {0, 2, 4, 6, 1, 3, 5, 7};
        int[] qweight = new int[2];
        int zero = 0;
        for (int i = 0; i < 8; i++) {
            int column = order[i];
            qweight[0] |= (column + 3) << (4 * i);
            qweight[1] |= (15 - column) << (4 * i);
            zero |= (column % 3) << (4 * i);
        }
        float[] scales = {1, 2, 3, 4, 5, 6, 7, 8};
        try (MappedTensorStore store = new TestTensors()
                .ints("l.qweight", qweight, 2, 1).ints("l.qzeros", new int[] {zero}, 1, 1)
                .halves("l.scales", halves(scales), 1, 8).open(dir)) {
            float[] w = Dequantize.toFloat(store, new LinearWeight.Awq(2, 8, new Quantization.Awq(4, 2, true),
                    store.info("l.qweight"), store.info("l.qzeros"), store.info("l.scales"), null));
            for (int n = 0; n < 8; n++) {
                assertThat(w[n * 2]).as("column %d row 0", n).isEqualTo((n + 3 - n % 3) * scales[n]);
                assertThat(w[n * 2 + 1]).as("column %d row 1", n).isEqualTo((15 - n - n % 3) * scales[n]);
            }
        }
    }

    @Test
    void denseTypesDecodeToTheirValues() {
        float[] values = {1.5f, -2.25f, 0.0078125f, 1024f, -0.5f, 3f};
        ByteBuffer f32 = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer bf16 = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            f32.putFloat(v);
            bf16.putShort(Bf16.fromFloat(v));
        }
        try (MappedTensorStore store = new TestTensors()
                .add("a.weight", DType.F32, new long[] {2, 3}, f32.flip())
                .halves("b.weight", halves(values), 2, 3)
                .add("c.weight", DType.BF16, new long[] {2, 3}, bf16.flip()).open(dir)) {
            for (String name : new String[] {"a.weight", "b.weight", "c.weight"}) {
                assertThat(Dequantize.toFloat(store, new LinearWeight.Dense(3, 2, store.info(name), null)))
                        .as(name).containsExactly(values);
            }
        }
    }
}
