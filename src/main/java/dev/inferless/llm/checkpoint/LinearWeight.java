package dev.inferless.llm.checkpoint;

/**
 * The stored form of one linear projection {@code y = x W^T (+ b)} with K = in, N = out features,
 * as found in the checkpoint: dense, or one of the packed 4/8-bit formats. Tensors are named by
 * their full checkpoint names (e.g. {@code model.layers.0.self_attn.q_proj.qweight}); bias may be null.
 */
public sealed interface LinearWeight {

    int in();

    int out();

    /** {@code weight} [N, K] in F32/F16/BF16. */
    record Dense(int in, int out, TensorInfo weight, TensorInfo bias) implements LinearWeight {}

    /** GPTQ: qweight I32 [K*b/32, N], qzeros I32 [ceil(K/G), N*b/32], scales F16 [ceil(K/G), N], gIdx I32 [K]. */
    record Gptq(int in, int out, Quantization.Gptq format,
                TensorInfo qweight, TensorInfo qzeros, TensorInfo scales, TensorInfo gIdx, TensorInfo bias)
            implements LinearWeight {}

    /** AWQ GEMM: qweight I32 [K, N/8], qzeros I32 [K/G, N/8], scales F16 [K/G, N]. */
    record Awq(int in, int out, Quantization.Awq format,
               TensorInfo qweight, TensorInfo qzeros, TensorInfo scales, TensorInfo bias)
            implements LinearWeight {}
}
