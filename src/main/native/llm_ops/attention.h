// The decode step's attention kernels: RoPE with the KV-cache write (prefill and decode), and the
// attention of one new token per sequence over its cache (decode; prefill uses SDPA). Measured and
// explained in docs/fast-path.md, "Decode attention". Plain pointers and a stream; no torch here.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::kernels {

// A paged KV cache (vLLM's paged attention): per layer one pool [blocks, hkv, blockSize, d] for K and
// one for V; position t of sequence s lives in block table[s * maxBlocks + t / blockSize], at offset
// t % blockSize. The table (int32 [sequences, maxBlocks], on the device) is an input of the step:
// updated in place between steps, so captured graphs stay valid. blockSize is a power of two.
struct KvBlockTable {
    const int32_t* table = nullptr;
    int blockSize = 0;
    int maxBlocks = 0;
};

// HF rotate_half RoPE on q and k of qkv [m, (hq + 2 hkv) * d] at positions[m] (float32 math);
// q goes to qOut [hkv, group * m, d] (row g * m + i for query head kvh * group + g), k and v to the
// caches [sequences, hkv, capacity, d] of sequence sequences[i] (null: sequence 0 for every row) at
// position positions[i].
cudaError_t ropeAndCacheWrite(const __nv_bfloat16* qkv, const int64_t* positions, const int64_t* sequences,
                              const float* cos, const float* sin, __nv_bfloat16* kCache, __nv_bfloat16* vCache,
                              __nv_bfloat16* qOut, int m, int hq, int hkv, int d, int capacity, cudaStream_t stream);

// ropeAndCacheWrite into a paged cache: k and v of row i go to sequence sequences[i]'s (null: the
// table's first row) position positions[i] through the table.
cudaError_t ropeAndCacheWritePaged(const __nv_bfloat16* qkv, const int64_t* positions, const int64_t* sequences,
                                   KvBlockTable blocks, const float* cos, const float* sin, __nv_bfloat16* kPool,
                                   __nv_bfloat16* vPool, __nv_bfloat16* qOut, int m, int hq, int hkv, int d,
                                   cudaStream_t stream);

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

// decodeAttention over a paged cache: row i reads sequence sequences[i]'s positions through the
// table. The same arithmetic in the same order as the contiguous kernel: equal outputs for equal
// contents. partials as there; splits from decodeAttentionSplits(m, hq, maxBlocks * blockSize).
cudaError_t decodeAttentionPaged(const __nv_bfloat16* q, const __nv_bfloat16* kPool, const __nv_bfloat16* vPool,
                                 const int64_t* positions, const int64_t* sequences, KvBlockTable blocks,
                                 const int64_t* scatter, __nv_bfloat16* out, float* partials, int splits, int m, int hq,
                                 int hkv, int d, cudaStream_t stream);

// Splits of the positions that keep the device busy for m rows of hq heads over a cache of capacity.
int decodeAttentionSplits(int m, int hq, int capacity);

}  // namespace llmops::kernels
