package dev.inferless;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDArray;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

class DjlSmokeTest {
    @Test
    void djlRunsOffline() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new float[] {1, 2, 3});
            assertThat(a.mul(2).toFloatArray()).containsExactly(2, 4, 6);
        }
    }
}
