// Small fused CUDA kernels for the decode step: each replaces a chain of 5-20 ATen kernels whose
// launches dominated the step (see docs/fast-path.md). Plain pointers and a stream; no torch here.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::kernels {

// out[i] = embed[t] (rows of width h) with t = tokens[i], or lastTokens[sequences[i]] where tokens[i]
// is negative: the token a sequence's previous step sampled, still on the device.
cudaError_t embedTokens(const __nv_bfloat16* embed, const int64_t* tokens, const int64_t* lastTokens,
                        const int64_t* sequences, __nv_bfloat16* out, int m, int h, cudaStream_t stream);

// Whether addRmsNorm takes rows of width h (up to 16384).
bool rmsNormSupports(int h);

// residual += delta (when delta is not null), then out[m][j] = w[s] * bf16(x[s] * rsqrt(mean(x^2) + eps))
// with s = perm[j] (perm may be null), x = the updated residual row m. Rows: m, width h.
cudaError_t addRmsNorm(__nv_bfloat16* residual, const __nv_bfloat16* delta, const __nv_bfloat16* weight,
                       const int64_t* perm, __nv_bfloat16* out, int rows, int h, float eps, cudaStream_t stream);

// HF rotate_half RoPE on q and k of qkv [m, (hq + 2 hkv) * d] at positions[m] (float32 math);
// q goes to qOut [hkv, group * m, d] (row g * m + i for query head kvh * group + g), k and v to the
// caches [sequences, hkv, capacity, d] of sequence sequences[i] (null: sequence 0 for every row) at
// position positions[i].
cudaError_t ropeAndCacheWrite(const __nv_bfloat16* qkv, const int64_t* positions, const int64_t* sequences,
                              const float* cos, const float* sin, __nv_bfloat16* kCache, __nv_bfloat16* vCache,
                              __nv_bfloat16* qOut, int m, int hq, int hkv, int d, int capacity, cudaStream_t stream);

// out[i][j] = bf16(bf16(silu(g[i][s])) * u[i][s]) with s = perm[j] (perm may be null);
// gateUp [m, 2f] holds gate then up.
cudaError_t siluMul(const __nv_bfloat16* gateUp, const int64_t* perm, __nv_bfloat16* out, int m, int f,
                    cudaStream_t stream);

}  // namespace llmops::kernels

namespace llmops::kernels {

// Whether decodeAttention takes this head dimension.
bool decodeAttentionSupports(int d);

// Attention of m new tokens, one per sequence: row i attends over positions 0..positions[i] of
// sequence sequences[i]'s cache. q [hkv, group * m, d] (from ropeAndCacheWrite), caches
// [sequences, hkv, capacity, d], out [m, hq * d]; column c of a row goes to scatter[c] when scatter is
// given (o_proj's act-order gather, inverted). Softmax in float32. With splits > 1 each (head, row)
// is read by that many blocks, which leave their partial sums in partials (float [m, hq, splits,
// d + 2]) for a second kernel to join.
cudaError_t decodeAttention(const __nv_bfloat16* q, const __nv_bfloat16* kCache, const __nv_bfloat16* vCache,
                            const int64_t* positions, const int64_t* sequences, const int64_t* scatter,
                            __nv_bfloat16* out, float* partials, int splits, int m, int hq, int hkv, int d, int capacity,
                            cudaStream_t stream);

// Splits of the positions that keep the device busy for m rows of hq heads over a cache of capacity.
int decodeAttentionSplits(int m, int hq, int capacity);

// The splits of batch-invariant steps (model.batch_invariant): the one-row choice, bounded by nothing
// that changes from step to step (the rows, the caches' capacity), so that every step cuts a row's
// positions at the same places and joins the parts in the same order.
int batchInvariantAttentionSplits(int hq);

}  // namespace llmops::kernels
