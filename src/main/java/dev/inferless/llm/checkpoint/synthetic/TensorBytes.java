package dev.inferless.llm.checkpoint.synthetic;

import dev.inferless.llm.checkpoint.Bf16;
import dev.inferless.llm.checkpoint.DType;
import dev.inferless.llm.checkpoint.Fp16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/** Arrays and generated matrices as little-endian tensor bytes, ready for a safetensors file. */
public final class TensorBytes {

    private TensorBytes() {}

    public static ByteBuffer of(int[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(Math.multiplyExact(values.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asIntBuffer().put(values);
        return buffer;
    }

    public static ByteBuffer of(short[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(Math.multiplyExact(values.length, 2)).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asShortBuffer().put(values);
        return buffer;
    }

    /** rows [out][in] encoded as {@code dtype} (F32, F16 or BF16), rows made in parallel. */
    static ByteBuffer encode(MatrixRows rows, int out, int in, DType dtype) {
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact((long) out * in * dtype.bytes))
                .order(ByteOrder.LITTLE_ENDIAN);
        IntStream.range(0, out).parallel().forEach(r -> {
            float[] row = new float[in];
            rows.row(r, row);
            ByteBuffer at = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(r * in * dtype.bytes);
            switch (dtype) {
                case F32 -> at.asFloatBuffer().put(row);
                case F16, BF16 -> {
                    short[] half = new short[in];
                    for (int i = 0; i < in; i++) {
                        half[i] = dtype == DType.F16 ? Fp16.fromFloat(row[i]) : Bf16.fromFloat(row[i]);
                    }
                    at.asShortBuffer().put(half);
                }
                default -> throw new IllegalArgumentException("cannot encode floats as " + dtype);
            }
        });
        return buffer;
    }
}
