// The decode step's attention (attention.h): RoPE with the KV-cache write, the attention of one new
// token per sequence over its cache, split over the positions, and the join of the splits.
#include "attention.h"

#include "dependent_launch.cuh"

#include <algorithm>
#include <limits>

namespace llmops::kernels {
namespace {

// Without a table the caches are [sequences, hkv, capacity, d]: block `sequence` of `capacity` positions.
__global__ void ropeAndCacheWriteKernel(const __nv_bfloat16* qkv, const int64_t* positions, const int64_t* sequences,
                                        const float* cos, const float* sin, __nv_bfloat16* kCache,
                                        __nv_bfloat16* vCache, __nv_bfloat16* qOut, int m, int hq, int hkv, int d,
                                        int capacity, KvBlockTable blocks) {
    allowNextToStart();
    const int row = blockIdx.x;   // token i of the step
    const int head = blockIdx.y;  // q heads, then k heads, then v heads
    const int i = threadIdx.x;    // dimension
    // Positions, sequences and the tables are inputs of the step, not outputs of the kernel before.
    const int64_t pos = positions[row];
    const int64_t sequence = sequences ? sequences[row] : 0;
    const float c = cos[pos * d + i], s = sin[pos * d + i];
    waitForPrevious();
    int64_t block = sequence, offset = pos, blockSize = capacity;
    if (blocks.table != nullptr) {
        blockSize = blocks.blockSize;
        block = blocks.table[sequence * blocks.maxBlocks + pos / blockSize];
        offset = pos % blockSize;
    }
    const int width = (hq + 2 * hkv) * d;
    const __nv_bfloat16* src = qkv + static_cast<int64_t>(row) * width + static_cast<int64_t>(head) * d;
    const int group = hq / hkv;
    if (head >= hq + hkv) {
        const int vh = head - hq - hkv;
        vCache[((block * hkv + vh) * blockSize + offset) * d + i] = src[i];
        return;
    }
    const int half = d / 2;
    const float x = __bfloat162float(src[i]);
    const float partner = i < half ? -__bfloat162float(src[i + half]) : __bfloat162float(src[i - half]);
    const __nv_bfloat16 r = __float2bfloat16(x * c + partner * s);
    if (head < hq) {
        const int kvh = head / group, g = head % group;
        qOut[(static_cast<int64_t>(kvh) * group * m + static_cast<int64_t>(g) * m + row) * d + i] = r;
    } else {
        kCache[((block * hkv + head - hq) * blockSize + offset) * d + i] = r;
    }
}

constexpr int kAttnWarps = 8;
constexpr int kAttnThreads = kAttnWarps * 32;
constexpr int kValueUnroll = 8;
// Positions whose scores a block holds in shared memory at once (4 KB): longer splits go tile by tile,
// so the shared memory does not grow with the cache (a paged cache's reach is the whole context window).
constexpr int kScoreTile = 1024;

__device__ __forceinline__ float blockMax(float v, float* scratch) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
    __syncthreads();
    float m = scratch[0];
    for (int w = 1; w < kAttnWarps; ++w) m = fmaxf(m, scratch[w]);
    __syncthreads();
    return m;
}

// The D / 32 values of a value row that one lane accumulates, as floats, in one load.
template <int D>
__device__ __forceinline__ void loadLaneValues(const __nv_bfloat16* p, float (&f)[D / 32]) {
    if constexpr (D == 128) {
        const uint2 r = __ldg(reinterpret_cast<const uint2*>(p));
        f[0] = __uint_as_float(r.x << 16);
        f[1] = __uint_as_float(r.x & 0xFFFF0000u);
        f[2] = __uint_as_float(r.y << 16);
        f[3] = __uint_as_float(r.y & 0xFFFF0000u);
    } else if constexpr (D == 64) {
        const unsigned int r = __ldg(reinterpret_cast<const unsigned int*>(p));
        f[0] = __uint_as_float(r << 16);
        f[1] = __uint_as_float(r & 0xFFFF0000u);
    } else {
        f[0] = __bfloat162float(p[0]);
    }
}

// One block per (query head, sequence, split of the positions). Scores: one cache position per thread
// (the whole dot product from its own D / 8 loads, q broadcast from shared memory). Values: a warp per
// position subset, D / 32 dims a lane, kValueUnroll positions in flight. Softmax in float32 (log2
// domain), scores kept in shared memory a tile at a time. One split writes the output; several write their partial
// sums (unnormalized output, max, sum) for combineSplits, so that a long cache is read by many blocks.
// Paged: the caches are pools read through blocks' table (capacity: a sequence's most positions);
// else [sequences, hkv, capacity, D] and blocks is not read.
template <int D, bool Paged>
__global__ void __launch_bounds__(kAttnThreads) decodeAttentionKernel(
        const __nv_bfloat16* __restrict__ q, const __nv_bfloat16* __restrict__ kCache,
        const __nv_bfloat16* __restrict__ vCache, const int64_t* __restrict__ positions,
        const int64_t* __restrict__ sequences, const int64_t* __restrict__ scatter, __nv_bfloat16* __restrict__ out,
        float* __restrict__ partials, int m, int hkv, int group, int capacity, float scaleLog2, KvBlockTable blocks) {
    allowNextToStart();
    // The step's positions and sequences are its inputs, not outputs of the kernel before.
    const int length = static_cast<int>(positions[blockIdx.y]) + 1;
    const int64_t sequence = sequences ? sequences[blockIdx.y] : 0;
    waitForPrevious();
    constexpr int kPerLane = D / 32;
    extern __shared__ float scores[];  // [kScoreTile], [kAttnWarps][D] partial outputs, [kAttnWarps] scratch, q [D]
    const int splits = gridDim.z, split = blockIdx.z;
    float* partialOut = scores + kScoreTile;
    float* scratch = partialOut + kAttnWarps * D;
    float* qs = scratch + kAttnWarps;
    const int head = blockIdx.x, row = blockIdx.y, kvh = head / group, g = head % group;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int chunk = (length + splits - 1) / splits;
    const int begin = split * chunk, end = min(length, begin + chunk);
    const int64_t base = Paged ? 0 : (sequence * hkv + kvh) * static_cast<int64_t>(capacity) * D;
    const __nv_bfloat16* k = kCache + base;
    const __nv_bfloat16* v = vCache + base;
    const int32_t* tableRow = Paged ? blocks.table + sequence * blocks.maxBlocks : nullptr;
    const int blockShift = Paged ? __ffs(blocks.blockSize) - 1 : 0;  // blockSize: a power of two
    // Element offset of position t's row (of this KV head) from k and v.
    auto rowAt = [&](int t) -> int64_t {
        if constexpr (Paged) {
            const int64_t block = __ldg(tableRow + (t >> blockShift));
            return ((block * hkv + kvh) * blocks.blockSize + (t & (blocks.blockSize - 1))) * D;
        } else {
            return static_cast<int64_t>(t) * D;
        }
    };
    const __nv_bfloat16* qRow = q + ((static_cast<int64_t>(kvh) * group + g) * m + row) * D;
    for (int i = threadIdx.x; i < D; i += kAttnThreads) qs[i] = __bfloat162float(qRow[i]);
    __syncthreads();

    // The split's positions a tile of kScoreTile at a time (online softmax): each tile's scores, its
    // maximum, the sums so far rescaled to the new maximum, then the tile's values. One tile (a split of
    // at most kScoreTile positions) computes exactly what a single pass would.
    float maxScore = -INFINITY;
    float acc[kPerLane] = {};
    float localSum = 0.f;
    for (int tileBegin = begin; tileBegin < end; tileBegin += kScoreTile) {
        const int tileEnd = min(end, tileBegin + kScoreTile);
        float localMax = -INFINITY;
        for (int t = tileBegin + threadIdx.x; t < tileEnd; t += kAttnThreads) {
            const uint4* keyRow = reinterpret_cast<const uint4*>(k + rowAt(t));
            uint4 raw[D / 8];
#pragma unroll
            for (int i = 0; i < D / 8; ++i) raw[i] = __ldg(keyRow + i);
            float s = 0.f;
#pragma unroll
            for (int i = 0; i < D / 8; ++i) {
                const uint32_t w[4] = {raw[i].x, raw[i].y, raw[i].z, raw[i].w};
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    s = fmaf(qs[8 * i + 2 * j], __uint_as_float(w[j] << 16), s);
                    s = fmaf(qs[8 * i + 2 * j + 1], __uint_as_float(w[j] & 0xFFFF0000u), s);
                }
            }
            s *= scaleLog2;  // log2 domain: softmax via exp2
            scores[t - tileBegin] = s;
            localMax = fmaxf(localMax, s);
        }
        const float tileMax = blockMax(localMax, scratch);  // its barrier also publishes the scores
        const float newMax = fmaxf(maxScore, tileMax);
        if (tileBegin > begin) {  // the first tile has nothing to rescale
            const float rescale = exp2f(maxScore - newMax);
#pragma unroll
            for (int j = 0; j < kPerLane; ++j) acc[j] *= rescale;
            localSum *= rescale;
        }
        maxScore = newMax;
        for (int t0 = tileBegin + warp * kValueUnroll; t0 < tileEnd; t0 += kAttnWarps * kValueUnroll) {
            float vals[kValueUnroll][kPerLane];
#pragma unroll
            for (int u = 0; u < kValueUnroll; ++u) {
                const int t = t0 + u;
                if (t < tileEnd) {
                    loadLaneValues<D>(v + rowAt(t) + lane * kPerLane, vals[u]);
                } else {
#pragma unroll
                    for (int j = 0; j < kPerLane; ++j) vals[u][j] = 0.f;
                }
            }
#pragma unroll
            for (int u = 0; u < kValueUnroll; ++u) {
                const int t = t0 + u;
                const float p = t < tileEnd ? exp2f(scores[t - tileBegin] - maxScore) : 0.f;
                localSum += p;
#pragma unroll
                for (int j = 0; j < kPerLane; ++j) acc[j] = fmaf(p, vals[u][j], acc[j]);
            }
        }
        __syncthreads();  // every warp has read this tile's scores before the next one writes them
    }
#pragma unroll
    for (int j = 0; j < kPerLane; ++j) partialOut[warp * D + lane * kPerLane + j] = acc[j];
    if (lane == 0) scratch[warp] = localSum;  // every lane of a warp holds the same sum
    __syncthreads();
    float total = 0.f;
    for (int w = 0; w < kAttnWarps; ++w) total += scratch[w];
    const int hq = hkv * group;
    float* mine = splits > 1 ? partials + ((static_cast<int64_t>(row) * hq + head) * splits + split) * (D + 2) : nullptr;
    for (int i = threadIdx.x; i < D; i += kAttnThreads) {
        float o = 0.f;
        for (int w = 0; w < kAttnWarps; ++w) o += partialOut[w * D + i];
        if (mine) {
            mine[i] = o;
        } else {
            const int64_t c = static_cast<int64_t>(head) * D + i;
            out[static_cast<int64_t>(row) * hq * D + (scatter ? scatter[c] : c)] = __float2bfloat16(o / total);
        }
    }
    if (mine && threadIdx.x == 0) {
        mine[D] = begin < end ? maxScore : -INFINITY;  // an empty split weighs nothing
        mine[D + 1] = total;
    }
}

// Joins the splits of each (head, row): rescale each split's sums to the common maximum.
template <int D>
__global__ void combineSplitsKernel(const float* __restrict__ partials, const int64_t* __restrict__ scatter,
                                    __nv_bfloat16* __restrict__ out, int hq, int splits) {
    allowNextToStart();
    const int head = blockIdx.x, row = blockIdx.y, i = threadIdx.x;
    const int64_t c = static_cast<int64_t>(head) * D + i;
    const int64_t column = scatter ? scatter[c] : c;  // constant: read before the wait
    waitForPrevious();
    const float* p = partials + (static_cast<int64_t>(row) * hq + head) * splits * (D + 2);
    float maxScore = -INFINITY;
    for (int s = 0; s < splits; ++s) maxScore = fmaxf(maxScore, p[s * (D + 2) + D]);
    float o = 0.f, total = 0.f;
    for (int s = 0; s < splits; ++s) {
        const float* split = p + s * (D + 2);
        const float weight = split[D] == -INFINITY ? 0.f : exp2f(split[D] - maxScore);
        o += weight * split[i];
        total += weight * split[D + 1];
    }
    out[static_cast<int64_t>(row) * hq * D + column] = __float2bfloat16(o / total);
}

template <int D, bool Paged>
cudaError_t launchDecodeAttention(const __nv_bfloat16* q, const __nv_bfloat16* kCache, const __nv_bfloat16* vCache,
                                  const int64_t* positions, const int64_t* sequences, const int64_t* scatter,
                                  __nv_bfloat16* out, float* partials, int splits, int m, int hq, int hkv, int capacity,
                                  KvBlockTable blocks, cudaStream_t stream) {
    const size_t smem = (static_cast<size_t>(kScoreTile) + kAttnWarps * D + kAttnWarps + D) * sizeof(float);
    const float scaleLog2 = 1.4426950408889634f / sqrtf(static_cast<float>(D));
    cudaError_t e = launchDependent(decodeAttentionKernel<D, Paged>, dim3(hq, m, splits), dim3(kAttnThreads), smem,
                                    stream, q, kCache, vCache, positions, sequences, scatter, out, partials, m, hkv,
                                    hq / hkv, capacity, scaleLog2, blocks);
    if (e == cudaSuccess && splits > 1)
        e = launchDependent(combineSplitsKernel<D>, dim3(hq, m), dim3(D), 0, stream, partials, scatter, out, hq, splits);
    return e;
}

}  // namespace

bool decodeAttentionSupports(int d) {
    return d == 32 || d == 64 || d == 128;
}

int decodeAttentionSplits(int m, int hq, int capacity) {
    static int sms = 0;
    if (sms == 0) {
        int device = 0;
        cudaGetDevice(&device);
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    }
    // About two blocks per SM, chunks of at least 64 positions of the cache's capacity, at most 16.
    const int wanted = (2 * sms + hq * m - 1) / (hq * m);
    const int byLength = capacity / 64 > 1 ? capacity / 64 : 1;
    return std::max(1, std::min({wanted, byLength, 16}));
}

int batchInvariantAttentionSplits(int hq) {
    return decodeAttentionSplits(1, hq, std::numeric_limits<int>::max());
}

cudaError_t decodeAttention(const __nv_bfloat16* q, const __nv_bfloat16* kCache, const __nv_bfloat16* vCache,
                            const int64_t* positions, const int64_t* sequences, const int64_t* scatter,
                            __nv_bfloat16* out, float* partials, int splits, int m, int hq, int hkv, int d, int capacity,
                            cudaStream_t stream) {
    if (hq % hkv != 0 || splits < 1 || (splits > 1 && partials == nullptr)) return cudaErrorInvalidValue;
    const KvBlockTable none{};
    switch (d) {
        case 32: return launchDecodeAttention<32, false>(q, kCache, vCache, positions, sequences, scatter, out, partials, splits, m, hq, hkv, capacity, none, stream);
        case 64: return launchDecodeAttention<64, false>(q, kCache, vCache, positions, sequences, scatter, out, partials, splits, m, hq, hkv, capacity, none, stream);
        case 128: return launchDecodeAttention<128, false>(q, kCache, vCache, positions, sequences, scatter, out, partials, splits, m, hq, hkv, capacity, none, stream);
        default: return cudaErrorInvalidValue;
    }
}

bool kvBlockTableValid(const KvBlockTable& blocks) {
    return blocks.table != nullptr && blocks.blockSize > 0 && (blocks.blockSize & (blocks.blockSize - 1)) == 0 &&
           blocks.maxBlocks > 0;
}

cudaError_t decodeAttentionPaged(const __nv_bfloat16* q, const __nv_bfloat16* kPool, const __nv_bfloat16* vPool,
                                 const int64_t* positions, const int64_t* sequences, KvBlockTable blocks,
                                 const int64_t* scatter, __nv_bfloat16* out, float* partials, int splits, int m, int hq,
                                 int hkv, int d, cudaStream_t stream) {
    if (hq % hkv != 0 || splits < 1 || (splits > 1 && partials == nullptr) || !kvBlockTableValid(blocks))
        return cudaErrorInvalidValue;
    const int capacity = blocks.maxBlocks * blocks.blockSize;
    switch (d) {
        case 32: return launchDecodeAttention<32, true>(q, kPool, vPool, positions, sequences, scatter, out, partials, splits, m, hq, hkv, capacity, blocks, stream);
        case 64: return launchDecodeAttention<64, true>(q, kPool, vPool, positions, sequences, scatter, out, partials, splits, m, hq, hkv, capacity, blocks, stream);
        case 128: return launchDecodeAttention<128, true>(q, kPool, vPool, positions, sequences, scatter, out, partials, splits, m, hq, hkv, capacity, blocks, stream);
        default: return cudaErrorInvalidValue;
    }
}

cudaError_t ropeAndCacheWrite(const __nv_bfloat16* qkv, const int64_t* positions, const int64_t* sequences,
                              const float* cos, const float* sin, __nv_bfloat16* kCache, __nv_bfloat16* vCache,
                              __nv_bfloat16* qOut, int m, int hq, int hkv, int d, int capacity, cudaStream_t stream) {
    if (d % 2 != 0 || d > 1024 || hq % hkv != 0) return cudaErrorInvalidValue;
    return launchDependent(ropeAndCacheWriteKernel, dim3(m, hq + 2 * hkv), dim3(d), 0, stream, qkv, positions, sequences,
                           cos, sin, kCache, vCache, qOut, m, hq, hkv, d, capacity, KvBlockTable{});
}

cudaError_t ropeAndCacheWritePaged(const __nv_bfloat16* qkv, const int64_t* positions, const int64_t* sequences,
                                   KvBlockTable blocks, const float* cos, const float* sin, __nv_bfloat16* kPool,
                                   __nv_bfloat16* vPool, __nv_bfloat16* qOut, int m, int hq, int hkv, int d,
                                   cudaStream_t stream) {
    if (d % 2 != 0 || d > 1024 || hq % hkv != 0 || !kvBlockTableValid(blocks)) return cudaErrorInvalidValue;
    return launchDependent(ropeAndCacheWriteKernel, dim3(m, hq + 2 * hkv), dim3(d), 0, stream, qkv, positions, sequences,
                           cos, sin, kPool, vPool, qOut, m, hq, hkv, d, blocks.maxBlocks * blocks.blockSize, blocks);
}

}  // namespace llmops::kernels
