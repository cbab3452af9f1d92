package dev.inferless.llm.ops;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.inferless.llm.reference.ReferenceLlama;
import org.junit.jupiter.api.Test;

import java.util.Random;

class RmsNormTest {

    @Test
    void normalizesEachRowAndScalesByTheWeight() {
        Random rnd = new Random(1);
        int rows = 3;
        int width = 32;
        float[] x = OpsTesting.gaussian(rnd, rows * width);
        float[] w = OpsTesting.gaussian(rnd, width);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray out = RmsNorm.apply(m.create(x, new Shape(rows, width)), m.create(w), m.create(1e-5f), DataType.FLOAT32);
            double[] expected = new double[rows * width];
            for (int r = 0; r < rows; r++) {
                double[] row = new double[width];
                for (int i = 0; i < width; i++) {
                    row[i] = x[r * width + i];
                }
                System.arraycopy(ReferenceLlama.rmsNorm(row, w, 1e-5), 0, expected, r * width, width);
            }
            OpsTesting.assertClose(out.toFloatArray(), expected);
        }
    }
}
