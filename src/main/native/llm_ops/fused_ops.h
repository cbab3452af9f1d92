// ATen-facing wrappers of fused_kernels.cu and attention.cu: checks, shapes and the current CUDA stream.
#pragma once

#include <ATen/ATen.h>

namespace llmops {

// The decode step's embedding lookup: bf16 [M, H] rows of embed [V, H] for tokens [M], a negative
// token meaning lastTokens[sequences[i]] (int64 tensors on embed's device).
at::Tensor embedTokens(const at::Tensor& embed, const at::Tensor& tokens, const at::Tensor& lastTokens,
                       const at::Tensor& sequences);

// residual += delta (delta may be undefined; residual is updated in place), then the HF RMSNorm of
// each row times weight, its columns gathered by perm when perm is defined. bf16 [M, H].
at::Tensor addRmsNorm(at::Tensor& residual, const at::Tensor& delta, const at::Tensor& weight, double eps,
                      const at::Tensor& perm);

// RoPE on q and k of qkv [M, (hq + 2 hkv) d] at positions [M]; k and v written into the caches
// [S, hkv, C, d] of sequence sequences[i] (undefined: sequence 0) at those positions; returns q as
// [1, hkv, group * M, d] (row g * M + i).
at::Tensor ropeAndCacheWrite(const at::Tensor& qkv, const at::Tensor& positions, const at::Tensor& sequences,
                             const at::Tensor& cos, const at::Tensor& sin, at::Tensor& keys, at::Tensor& values,
                             int64_t hq, int64_t hkv);

// ropeAndCacheWrite into a paged cache: pools [blocks, hkv, blockSize, d], k and v of row i at
// sequence sequences[i]'s position positions[i] through table (int32 [S, maxBlocks]; with sequences
// undefined, every row is its first row's sequence).
at::Tensor ropeAndCacheWritePaged(const at::Tensor& qkv, const at::Tensor& positions, const at::Tensor& sequences,
                                  const at::Tensor& table, const at::Tensor& cos, const at::Tensor& sin,
                                  at::Tensor& keys, at::Tensor& values, int64_t hq, int64_t hkv);

// Attention of M new tokens, row i over positions 0..positions[i] of sequence sequences[i]'s cache:
// q [1, hkv, group * M, d] -> [M, hq * d], its columns scattered by `scatter` when defined (the
// inverse of the next matmul's act-order gather). The decode step's replacement for SDPA with a mask.
// batchInvariant: the positions split the same way whatever M and the caches' capacity are.
at::Tensor decodeAttention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                           const at::Tensor& positions, const at::Tensor& sequences, int64_t hq,
                           const at::Tensor& scatter, bool batchInvariant = false);

// decodeAttention over paged pools [blocks, hkv, blockSize, d] read through table (int32 [S, maxBlocks]).
at::Tensor decodeAttentionPaged(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                                const at::Tensor& positions, const at::Tensor& sequences, const at::Tensor& table,
                                int64_t hq, const at::Tensor& scatter, bool batchInvariant = false);

// silu(gate) * up of gateUp [M, 2F], columns gathered by perm when defined: bf16 [M, F].
at::Tensor siluMul(const at::Tensor& gateUp, const at::Tensor& perm);

}  // namespace llmops
