package dev.inferless.llm.ops;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.inferless.llm.reference.ReferenceLlama;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RotaryEmbeddingTest {

    @ParameterizedTest(name = "theta {0}, factor {1}, from position {2}")
    @CsvSource({"10000, 1.0, 0", "1000000, 1.0, 37", "10000, 2.0, 5", "1000000, 4.0, 90"})
    void rotatesLikeTheReferenceAtEveryPosition(double theta, double factor, int position) {
        int t = 4;
        int heads = 3;
        int d = 16;
        float[] x = OpsTesting.gaussian(new Random(position), t * heads * d);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             RotaryEmbedding rope = new RotaryEmbedding(m, 128, d, theta, factor, DataType.FLOAT32)) {
            NDList rows = rope.rows(m, position, t);
            float[] out = RotaryEmbedding.rotate(m.create(x, new Shape(t, heads, d)), rows).toFloatArray();
            double[] expected = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                expected[i] = x[i];
            }
            for (int i = 0; i < t; i++) {
                for (int h = 0; h < heads; h++) {
                    ReferenceLlama.rope(expected, (i * heads + h) * d, d, position + i, theta, factor);
                }
            }
            OpsTesting.assertClose(out, expected);
        }
    }

    @org.junit.jupiter.api.Test
    void positionsBeyondTheTableAreRejected() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch");
             RotaryEmbedding rope = new RotaryEmbedding(m, 8, 4, 1e4, 1.0, DataType.FLOAT32)) {
            assertThatThrownBy(() -> rope.rows(m, 6, 3)).hasMessageContaining("position 8");
        }
    }
}
