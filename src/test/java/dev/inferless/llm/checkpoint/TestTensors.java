package dev.inferless.llm.checkpoint;

import dev.inferless.llm.checkpoint.synthetic.SafetensorsWriter;
import dev.inferless.llm.checkpoint.synthetic.TensorBytes;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Builds small safetensors files for tests: declare tensors, then open them as a store. */
final class TestTensors {

    private final List<SafetensorsWriter.Entry> entries = new ArrayList<>();
    private final List<ByteBuffer> data = new ArrayList<>();

    TestTensors add(String name, DType dtype, long[] shape, ByteBuffer bytes) {
        entries.add(new SafetensorsWriter.Entry(name, dtype, shape));
        data.add(bytes);
        return this;
    }

    TestTensors ints(String name, int[] values, long... shape) {
        return add(name, DType.I32, shape, TensorBytes.of(values));
    }

    TestTensors halves(String name, short[] values, long... shape) {
        return add(name, DType.F16, shape, TensorBytes.of(values));
    }

    TestTensors bf16s(String name, short[] values, long... shape) {
        return add(name, DType.BF16, shape, TensorBytes.of(values));
    }

    MappedTensorStore open(Path dir) {
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), entries)) {
            for (int i = 0; i < entries.size(); i++) w.write(entries.get(i).name(), data.get(i));
        }
        return MappedTensorStore.open(dir);
    }

    /** Gaussian-ish weights with a few outliers, like real projections. */
    static float[] randomMatrix(int rows, int cols, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            double g = random.nextDouble() + random.nextDouble() + random.nextDouble() - 1.5;
            w[i] = (float) (g * (random.nextInt(50) == 0 ? 0.2 : 0.05));
        }
        return w;
    }
}
