package dev.inferless.llm.ops;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.inferless.llm.reference.ReferenceLlama;
import org.junit.jupiter.api.Test;

import java.util.Random;

class SwiGluTest {

    @Test
    void multipliesSiluOfTheFirstHalfByTheSecondHalf() {
        int rows = 2;
        int ff = 24;
        float[] gu = OpsTesting.gaussian(new Random(2), rows * 2 * ff);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            float[] out = SwiGlu.apply(m.create(gu, new Shape(rows, 2 * ff))).toFloatArray();
            double[] expected = new double[rows * ff];
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < ff; i++) {
                    expected[r * ff + i] = ReferenceLlama.silu(gu[r * 2 * ff + i]) * gu[r * 2 * ff + ff + i];
                }
            }
            OpsTesting.assertClose(out, expected);
        }
    }
}
