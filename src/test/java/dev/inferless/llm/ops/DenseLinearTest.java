package dev.inferless.llm.ops;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class DenseLinearTest {

    @Test
    void fusedProjectionEqualsItsPartsSideBySide() {
        Random rnd = new Random(3);
        int in = 12;
        int[] outs = {8, 4, 4};
        int rows = 3;
        float[] x = OpsTesting.gaussian(rnd, rows * in);
        float[][] w = new float[outs.length][];
        for (int p = 0; p < outs.length; p++) {
            w[p] = OpsTesting.gaussian(rnd, outs[p] * in);
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            int before = m.getManagedArrays().size();
            DenseLinear fused = DenseLinear.fused(List.of(m.create(w[0], new Shape(outs[0], in)),
                    m.create(w[1], new Shape(outs[1], in)), m.create(w[2], new Shape(outs[2], in))));
            assertThat(fused.in()).isEqualTo(in);
            assertThat(fused.out()).isEqualTo(16);
            NDArray y = fused.apply(m.create(x, new Shape(rows, in)));
            assertThat(y.getShape()).isEqualTo(new Shape(rows, 16));
            float[] actual = y.toFloatArray();
            double[] expected = new double[rows * 16];
            for (int r = 0; r < rows; r++) {
                int col = 0;
                for (int p = 0; p < outs.length; p++) {
                    for (int o = 0; o < outs[p]; o++, col++) {
                        double acc = 0;
                        for (int i = 0; i < in; i++) {
                            acc += (double) w[p][o * in + i] * x[r * in + i];
                        }
                        expected[r * 16 + col] = acc;
                    }
                }
            }
            OpsTesting.assertClose(actual, expected);
            y.close();
            fused.close();
            assertThat(m.getManagedArrays().size()).as("the input x and nothing of the op").isEqualTo(before + 1);
        }
    }
}
