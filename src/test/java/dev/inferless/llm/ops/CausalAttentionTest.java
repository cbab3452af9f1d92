package dev.inferless.llm.ops;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.inferless.llm.reference.ReferenceLlama;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

class CausalAttentionTest {

    @ParameterizedTest(name = "T={0} new of L={1}, {2} heads over {3} KV heads")
    @CsvSource({"1, 9, 4, 2", "5, 8, 4, 2", "6, 6, 4, 4", "3, 7, 6, 1"})
    void groupedCausalAttentionMatchesPlainLoops(int t, int length, int heads, int kvHeads) {
        int d = 8;
        int position = length - t;
        Random rnd = new Random(t * 100 + length);
        float[] q = OpsTesting.gaussian(rnd, t * heads * d);
        float[] k = OpsTesting.gaussian(rnd, kvHeads * length * d);
        float[] v = OpsTesting.gaussian(rnd, kvHeads * length * d);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray mask = t > 1 ? CausalAttention.causalMask(m, position, t, DataType.FLOAT32) : null;
            float[] out = CausalAttention.attend(m.create(q, new Shape(t, heads, d)),
                    m.create(k, new Shape(kvHeads, length, d)), m.create(v, new Shape(kvHeads, length, d)), mask,
                    CausalAttention.scale(m, d, DataType.FLOAT32))
                    .toFloatArray();
            OpsTesting.assertClose(out, expected(q, k, v, t, length, heads, kvHeads, d));
        }
    }

    private static double[] expected(float[] q, float[] k, float[] v, int t, int length, int heads, int kvHeads,
                                     int d) {
        int position = length - t;
        int group = heads / kvHeads;
        double[] out = new double[t * heads * d];
        for (int i = 0; i < t; i++) {
            for (int h = 0; h < heads; h++) {
                int kv = h / group;
                int visible = position + i + 1;
                double[] scores = new double[visible];
                for (int s = 0; s < visible; s++) {
                    for (int j = 0; j < d; j++) {
                        scores[s] += q[(i * heads + h) * d + j] * k[(kv * length + s) * d + j];
                    }
                    scores[s] /= Math.sqrt(d);
                }
                double[] p = ReferenceLlama.softmax(scores);
                for (int s = 0; s < visible; s++) {
                    for (int j = 0; j < d; j++) {
                        out[(i * heads + h) * d + j] += p[s] * v[(kv * length + s) * d + j];
                    }
                }
            }
        }
        return out;
    }
}
