package dev.inferless.llm.checkpoint;

/** How a checkpoint's linear projections are stored. */
public sealed interface Quantization {

    /** Unquantized: {@code .weight} tensors in F32, F16 or BF16. */
    record None() implements Quantization {}

    /**
     * GPTQ (AutoGPTQ layout). {@code groupSize} -1 means one group of K. {@code v2} is
     * checkpoint_format gptq_v2 (zeros stored as is); v1 stores zero - 1.
     */
    record Gptq(int bits, int groupSize, boolean descAct, boolean sym, boolean v2) implements Quantization {}

    /** AWQ, GEMM layout (packed along N, interleaved nibbles). */
    record Awq(int bits, int groupSize, boolean zeroPoint) implements Quantization {}
}
