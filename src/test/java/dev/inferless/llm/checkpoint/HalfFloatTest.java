package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfFloatTest {

    @Test
    void everyFiniteHalfSurvivesARoundTrip() {
        for (int h = 0; h < 1 << 16; h++) {
            float f = Fp16.toFloat((short) h);
            if (Float.isNaN(f)) {
                assertThat(Float.isNaN(Fp16.toFloat(Fp16.fromFloat(f)))).isTrue();
            } else {
                assertThat(Fp16.fromFloat(f) & 0xffff).as("half %04x", h).isEqualTo(h);
            }
        }
    }

    @Test
    void knownHalvesDecode() {
        assertThat(Fp16.toFloat((short) 0x3c00)).isEqualTo(1f);
        assertThat(Fp16.toFloat((short) 0xc000)).isEqualTo(-2f);
        assertThat(Fp16.toFloat((short) 0x7bff)).isEqualTo(65504f);
        assertThat(Fp16.toFloat((short) 0x0001)).isEqualTo(0x1.0p-24f);
        assertThat(Fp16.toFloat((short) 0x7c00)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void floatsRoundToTheNearestHalfTiesToEven() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            float x = (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(-26, 16)));
            int h = Fp16.fromFloat(x) & 0xffff;
            double error = Math.abs((double) x - Fp16.toFloat((short) h));
            for (int neighbour : new int[] {h - 1, h + 1}) {
                float other = Fp16.toFloat((short) neighbour);
                if ((neighbour & 0x7fff) > 0x7c00 || Math.signum(other) * Math.signum(x) < 0) continue;
                double otherError = Math.abs((double) x - other);
                assertThat(error).as("x=%s h=%04x", x, h).isLessThanOrEqualTo(otherError);
                if (error == otherError) assertThat(h & 1).as("tie to even for %s", x).isZero();
            }
        }
        // IEEE: at and above 65520 (halfway from 65504 to 2^16) a float rounds to infinity
        assertThat(Fp16.fromFloat(65519f)).isEqualTo((short) 0x7bff);
        assertThat(Fp16.fromFloat(65520f)).isEqualTo((short) 0x7c00);
        assertThat(Fp16.fromFloat(1e-9f) & 0x7fff).isZero();
    }

    @Test
    void bf16RoundsToNearestAndKeepsTheTopHalf() {
        SplittableRandom random = new SplittableRandom(8);
        for (int i = 0; i < 100_000; i++) {
            float x = (float) ((random.nextDouble() * 2 - 1) * Math.pow(2, random.nextInt(-40, 40)));
            short b = Bf16.fromFloat(x);
            double error = Math.abs((double) x - Bf16.toFloat(b));
            double up = Math.abs((double) x - Bf16.toFloat((short) (b + 1)));
            double down = Math.abs((double) x - Bf16.toFloat((short) (b - 1)));
            assertThat(error).isLessThanOrEqualTo(Math.min(up, down));
        }
        assertThat(Bf16.toFloat(Bf16.fromFloat(1.5f))).isEqualTo(1.5f);
        assertThat(Float.isNaN(Bf16.toFloat(Bf16.fromFloat(Float.NaN)))).isTrue();
    }
}
