package dev.inferless.llm.checkpoint.synthetic;

import dev.inferless.llm.checkpoint.Fp16;

/**
 * Round-to-nearest quantization of one group of one output column: the grid (fp16 scale, integer
 * zero) and the codes. The scale is rounded to fp16 before any code is computed, so the stored
 * scale is exactly the one the codes were made with. Rounding is half-to-even, like torch.round.
 */
final class RoundToNearest {

    /** A group's grid: w ≈ (q - zero) * scale, scale exactly representable in fp16. */
    record Grid(float scale, int zero) {}

    private RoundToNearest() {}

    /**
     * GPTQ's grid (AutoGPTQ quantizer): the range always includes 0; symmetric puts the zero at
     * 2^(b-1) with a range of ±max|w|. {@code minZero} 1 is for v1 asymmetric checkpoints, which
     * store z - 1 in b bits and so cannot hold z = 0: such a group widens its scale to keep z = 1.
     */
    static Grid gptq(float min, float max, int bits, boolean sym, int minZero) {
        int maxq = (1 << bits) - 1;
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        if (sym) {
            hi = Math.max(-lo, hi);
            lo = -hi;
        }
        if (lo == 0f && hi == 0f) {
            lo = -1f;
            hi = 1f;
        }
        float scale = fp16Scale((hi - lo) / maxq);
        if (sym) return new Grid(scale, 1 << (bits - 1));
        int zero = clamp((int) Math.rint(-lo / scale), 0, maxq);
        if (zero < minZero) {
            scale = fp16Scale(hi / (maxq - minZero));
            zero = minZero;
        }
        return new Grid(scale, zero);
    }

    /** AWQ's grid (AutoAWQ, zero point): min..max of the group itself, range at least 1e-5. */
    static Grid awq(float min, float max) {
        int maxq = 15;
        float scale = fp16Scale(Math.max(max - min, 1e-5f) / maxq);
        int zero = clamp((int) -Math.rint(min / scale), 0, maxq);
        return new Grid(scale, zero);
    }

    static int code(float w, float scale, int zero, int maxq) {
        return clamp((int) Math.rint(w / scale) + zero, 0, maxq);
    }

    /** The nearest fp16 value, but never 0 or subnormal-tiny (a zero scale would divide by zero). */
    private static float fp16Scale(float scale) {
        float rounded = Fp16.toFloat(Fp16.fromFloat(scale));
        return Math.max(rounded, 0x1.0p-14f);
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
