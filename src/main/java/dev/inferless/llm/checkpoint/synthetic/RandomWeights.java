package dev.inferless.llm.checkpoint.synthetic;

/**
 * Seeded random weights for the checkpoints we make: every row of every tensor has its own
 * generator (splitmix64 of seed, tensor name and row), so rows can be made in any order, in
 * parallel, and again later by a test, with identical values.
 */
final class RandomWeights {

    private static final float SQRT3 = (float) Math.sqrt(3);

    private RandomWeights() {}

    /** Uniform values with mean {@code mean} and standard deviation {@code std}. */
    static MatrixRows uniform(long seed, String tensor, float mean, float std) {
        long tensorSeed = mix(seed ^ mix(tensor.hashCode() * 0x9E3779B97F4A7C15L + tensor.length()));
        float halfWidth = std * SQRT3;
        return (row, target) -> {
            long state = mix(tensorSeed + row * 0xD1B54A32D192ED03L);
            for (int i = 0; i < target.length; i++) {
                state += 0x9E3779B97F4A7C15L;
                float unit = (mix(state) >>> 40) * 0x1.0p-24f;
                target[i] = mean + (2f * unit - 1f) * halfWidth;
            }
        };
    }

    /** A projection's weight: std 1/sqrt(in), so outputs keep the scale of the inputs. */
    static MatrixRows projection(long seed, String tensor, int in) {
        return uniform(seed, tensor, 0f, (float) (1 / Math.sqrt(in)));
    }

    /** An RMSNorm weight: near 1. */
    static MatrixRows norm(long seed, String tensor) {
        return uniform(seed, tensor, 1f, 0.05f);
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
