package dev.inferless.llm.ops.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The comparison and bfloat16 rounding that the GPU binding checks rely on. */
class BindingCheckMathTest {

    @Test
    void relativeErrorIsNormOfDifferenceOverNormOfReference() {
        assertThat(BindingCheck.relativeError(new double[] {3, 4}, new double[] {3, 4})).isZero();
        assertThat(BindingCheck.relativeError(new double[] {3, 5}, new double[] {3, 4})).isCloseTo(0.2, within(1e-12));
    }

    @Test
    void misplacedNanOrInfinityIsInfiniteError() {
        assertThat(BindingCheck.relativeError(new double[] {Double.NaN, 1}, new double[] {Double.NaN, 1})).isZero();
        assertThat(BindingCheck.relativeError(new double[] {Double.NaN, 1}, new double[] {0, 1})).isInfinite();
        assertThat(BindingCheck.relativeError(new double[] {1, 1}, new double[] {Double.NaN, 1})).isInfinite();
        assertThat(BindingCheck.relativeError(new double[] {Double.POSITIVE_INFINITY}, new double[] {1})).isInfinite();
    }

    @Test
    void bf16RoundingKeepsEightMantissaBitsAndRoundsToNearestEven() {
        Random r = new Random(System.nanoTime());
        for (int i = 0; i < 10_000; i++) {
            float f = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(10) - 5));
            float b = BindingChecks.roundToBf16(f);
            assertThat(Float.floatToRawIntBits(b) & 0xFFFF).isZero();
            // nearest: the error is at most half a bf16 ulp (2^-8 relative)
            assertThat(Math.abs(b - f)).isLessThanOrEqualTo(Math.abs(f) * 0x1p-8f);
        }
        // ties go to the even neighbour: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7
        assertThat(BindingChecks.roundToBf16(1f + 0x1p-8f)).isEqualTo(1f);
        assertThat(BindingChecks.roundToBf16(1f + 3 * 0x1p-8f)).isEqualTo(1f + 0x1p-6f);
    }
}
