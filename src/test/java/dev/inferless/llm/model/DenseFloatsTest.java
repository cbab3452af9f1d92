package dev.inferless.llm.model;

import dev.inferless.llm.checkpoint.DType;
import dev.inferless.llm.checkpoint.TensorInfo;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DenseFloatsTest {

    @Test
    void halfPrecisionBitPatternsDecodeToTheirValues() {
        assertThat(DenseFloats.halfToFloat((short) 0x3c00)).isEqualTo(1.0f);
        assertThat(DenseFloats.halfToFloat((short) 0xc000)).isEqualTo(-2.0f);
        assertThat(DenseFloats.halfToFloat((short) 0x7bff)).isEqualTo(65504.0f);
        assertThat(DenseFloats.halfToFloat((short) 0x3555)).isEqualTo(0.333251953125f);
        assertThat(DenseFloats.halfToFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
        assertThat(DenseFloats.halfToFloat((short) 0x03ff)).isEqualTo((float) (1023 * Math.pow(2, -24)));
        assertThat(DenseFloats.halfToFloat((short) 0x8000)).isEqualTo(-0.0f);
        assertThat(DenseFloats.halfToFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(DenseFloats.halfToFloat((short) 0xfc00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(DenseFloats.halfToFloat((short) 0x7e00)).isNaN();
    }

    @Test
    void everyNormalHalfDecodesToTheValueItsFieldsDefine() {
        for (int h = 0; h < 0x10000; h++) {
            int exp = (h >>> 10) & 0x1f;
            if (exp == 0 || exp == 0x1f) {
                continue;
            }
            double expected = (1 + (h & 0x3ff) / 1024.0) * Math.pow(2, exp - 15) * ((h & 0x8000) != 0 ? -1 : 1);
            assertThat((double) DenseFloats.halfToFloat((short) h)).isEqualTo(expected);
        }
    }

    @Test
    void decodesF32F16AndBf16Tensors() {
        float[] values = new float[6];
        Random rnd = new Random(1);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rnd.nextGaussian();
        }
        ByteBuffer f32 = le(24);
        ByteBuffer bf16 = le(12);
        for (float v : values) {
            f32.putFloat(v);
            bf16.putShort((short) (Float.floatToIntBits(v) >>> 16));
        }
        assertThat(DenseFloats.decode(info("a", DType.F32, 2, 3), f32.flip())).containsExactly(values);
        float[] fromBf16 = DenseFloats.decode(info("b", DType.BF16, 6), bf16.flip());
        for (int i = 0; i < values.length; i++) {
            assertThat(fromBf16[i]).isEqualTo(Float.intBitsToFloat(Float.floatToIntBits(values[i]) & 0xffff0000));
        }
        ByteBuffer f16 = le(4).putShort((short) 0x3c00).putShort((short) 0xc000);
        assertThat(DenseFloats.decode(info("c", DType.F16, 2), f16.flip())).containsExactly(1.0f, -2.0f);
    }

    @Test
    void wrongSizesAndTypesNameTheTensor() {
        assertThatThrownBy(() -> DenseFloats.decode(info("model.norm.weight", DType.F32, 4), le(12)))
                .hasMessageContaining("model.norm.weight").hasMessageContaining("expected 16");
        assertThatThrownBy(() -> DenseFloats.decode(info("x.qweight", DType.I32, 2), le(8)))
                .hasMessageContaining("x.qweight").hasMessageContaining("I32");
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static TensorInfo info(String name, DType dtype, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return new TensorInfo(name, dtype, shape, Path.of("model.safetensors"), 0, n * dtype.bytes);
    }
}
