package dev.inferless.llm.model;

import dev.inferless.llm.checkpoint.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Decodes a dense F32, F16 or BF16 tensor's little-endian bytes to float[]. */
final class DenseFloats {

    private DenseFloats() {}

    static float[] decode(TensorInfo info, ByteBuffer bytes) {
        long n = info.elements();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + info.name() + " has " + n + " elements, too many for one array");
        }
        ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long expected = n * info.dtype().bytes;
        if (b.remaining() != expected) {
            throw new IllegalArgumentException("tensor " + info.name() + " has " + b.remaining()
                    + " bytes, expected " + expected + " for " + info.dtype() + " " + java.util.Arrays.toString(info.shape()));
        }
        float[] out = new float[(int) n];
        switch (info.dtype()) {
            case F32:
                b.asFloatBuffer().get(out);
                break;
            case F16:
                for (int i = 0; i < out.length; i++) {
                    out[i] = halfToFloat(b.getShort());
                }
                break;
            case BF16:
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                }
                break;
            default:
                throw new IllegalArgumentException("tensor " + info.name() + " has dtype " + info.dtype()
                        + "; expected F32, F16 or BF16");
        }
        return out;
    }

    /** IEEE 754 binary16 to float32, subnormals, infinities and NaN included. */
    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }
}
