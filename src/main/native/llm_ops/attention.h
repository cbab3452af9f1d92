// The decode step's attention kernels: RoPE with the KV-cache write (prefill and decode), and the
// attention of one new token per sequence over its cache (decode; prefill uses SDPA). Measured and
// explained in docs/fast-path.md, "Decode attention". Plain pointers and a stream; no torch here.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::kernels {

// HF rotate_half RoPE on q and k of qkv [m, (hq + 2 hkv) * d] at positions[m] (float32 math);
// q goes to qOut [hkv, group * m, d] (row g * m + i for query head kvh * group + g), k and v to the
// caches [sequences, hkv, capacity, d] of sequence sequences[i] (null: sequence 0 for every row) at
// position positions[i].
cudaError_t ropeAndCacheWrite(const __nv_bfloat16* qkv, const int64_t* positions, const int64_t* sequences,
                              const float* cos, const float* sin, __nv_bfloat16* kCache, __nv_bfloat16* vCache,
                              __nv_bfloat16* qOut, int m, int hq, int hkv, int d, int capacity, cudaStream_t stream);

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

}  // namespace llmops::kernels
