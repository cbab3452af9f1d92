#include "int4_mma.h"

#include "dependent_launch.cuh"

#include <cuda_fp16.h>

#include <cstring>

namespace llmops::kernels {
namespace {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32;

__device__ __forceinline__ uint32_t bits(__nv_bfloat162 v) {
    uint32_t u;
    memcpy(&u, &v, sizeof(u));
    return u;
}

__device__ __forceinline__ __nv_bfloat162 pair(uint32_t u) {
    __nv_bfloat162 v;
    memcpy(&v, &u, sizeof(u));
    return v;
}

// Two nibbles (bits shift..shift+3 and shift+16..shift+19) as the bf16 pair 128 + q, exact: OR-ing a
// nibble into the mantissa of bf16 128.0 (0x4300). One LOP3 ((a & b) | c): written plainly, the two
// constants make the compiler emit two (both cannot be immediates), 64 extra per k-block.
__device__ __forceinline__ uint32_t raw(uint32_t word, int shift) {
    uint32_t r;
    asm("lop3.b32 %0, %1, %2, %3, 0xEA;" : "=r"(r) : "r"(word >> shift), "r"(0x000F000Fu), "r"(0x43004300u));
    return r;
}

// Two nibbles as bf16 (q - 8) * scale + zero: subtracting 136 from 128 + q leaves q - 8.
__device__ __forceinline__ uint32_t dequantize(uint32_t word, int shift, __nv_bfloat162 scale, __nv_bfloat162 zero) {
    return bits(__hfma2(__hsub2(pair(raw(word, shift)), pair(0x43084308u)), scale, zero));  // 0x4308 = bf16 136.0
}

__device__ __forceinline__ void mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t component(const uint4& v, int i) {
    return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

// Raw kinds (G >= 128) keep the checkpoint's fp16 precision: (scale, zero) as half2 (int4_mma.h).
__device__ __forceinline__ float2 halfPair(uint32_t pair) {
    __half2 h;
    memcpy(&h, &pair, sizeof(h));
    return __half22float2(h);
}

// Asynchronous copies global -> shared (cp.async): they need no registers while in flight, so a
// warp can keep many k-blocks of weights and scales coming while it multiplies.
__device__ __forceinline__ void copy16(void* shared, const void* global) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(static_cast<uint32_t>(__cvta_generic_to_shared(shared))),
                 "l"(global));
}

// 4 bytes (the consumer's sums of squares of a folded RMSNorm; .ca: the only form of this size).
__device__ __forceinline__ void copy4(void* shared, const void* global) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(static_cast<uint32_t>(__cvta_generic_to_shared(shared))),
                 "l"(global));
}

// Asks the L2 for `bytes` (a multiple of 16) of global memory, one instruction (sm_90's bulk copy engine).
__device__ __forceinline__ void prefetchL2(const void* global, int bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    asm volatile("cp.async.bulk.prefetch.L2.global [%0], %1;\n" ::"l"(global), "r"(bytes) : "memory");
#endif
}

__device__ __forceinline__ float warpSum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);  // the same sum in every lane
    return v;
}

__device__ __forceinline__ void commitCopies() {
    asm volatile("cp.async.commit_group;\n" ::);
}

template <int Pending>
__device__ __forceinline__ void waitCopies() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending));
}

// waitCopies with a run-time bound (0 .. 7 groups still pending).
__device__ __forceinline__ void waitCopiesAtMost(int pending) {
    switch (pending) {
        case 0: waitCopies<0>(); break;
        case 1: waitCopies<1>(); break;
        case 2: waitCopies<2>(); break;
        case 3: waitCopies<3>(); break;
        case 4: waitCopies<4>(); break;
        case 5: waitCopies<5>(); break;
        case 6: waitCopies<6>(); break;
        default: waitCopies<7>(); break;
    }
}

// Per warp, a ring of Stages k-blocks: the weights (16 bytes per lane per n-tile, read back by the
// lane that copied them) and the (scale, zero) pairs of the k-block's groups for the n-tiles' 8
// columns (~6.5 KB per warp of 4 n-tiles, ~8.5 KB of 2). Once the warps are done, it holds their
// partial sums.
template <int NT, int G, bool StagedX = false>
struct Ring {
    static constexpr int kGroups = G >= 128 ? 1 : 128 / G;  // groups of scales per k-block
    // Measured on an H100 (docs/fast-path.md, "The int4 matmul"): with 4 n-tiles, 3 stages (2 in flight while one is
    // multiplied) beat 4-6: the smaller ring leaves more L1 for the activations.
    static constexpr int kStages = NT == 4 ? 3 : 8;
    static constexpr int kWeightWords = NT * 32;          // uint4
    static constexpr int kScaleWords = NT * kGroups * 8;  // bf16x2 [group][tile * 8 + column]
    static constexpr int kXWords = StagedX ? 32 * 4 : 0;  // uint4: each lane's 32 activations (one row)
    static constexpr int kStageBytes = kWeightWords * 16 + kScaleWords * 4 + kXWords * 16;
    static constexpr int kBlockBytes = kWarps * kStages * kStageBytes;
};

// A folded RMSNorm's part in a one-row matmul (int4_mma.h): none, the producer's or the consumer's.
// Compile-time, so that the plain kernel stays as it was measured.
enum Fold : int { kNoFold = 0, kProduce = 1, kConsume = 2 };

// Block (m-tile, NT n-tiles): 8 warps take every 8th k-block; 3 blocks of 2 n-tiles fit an SM, 2 or
// (up to 8 rows, at 80 registers) 3 of 4.
// Each warp streams its k-blocks through its ring (Stages - 1 in flight while it multiplies one);
// at one row (StagedX) its lanes' activations of each k-block come through the ring as well.
// The weights are constant, so the ring fills before waitForPrevious: with dependent launch, the
// stream starts while the kernel before (norm, attention) still runs.
//
// Lane (g, t) multiplies inputs 32t .. 32t + 31 of each k-block (int4_mma.h): 64 contiguous bytes of
// an activation row. Instructions per weight byte bound this kernel (docs/fast-path.md, "The int4 matmul"), hence:
// - Up to 8 rows, the weights are mma's A operand (16 output features of two n-tiles by 16 inputs)
//   and the activations its B (8 rows): half the MMAs of the other way round, and the activation
//   registers feed B as loaded. With more rows (Tall) the activations are A (16 rows) and each
//   n-tile's weights B.
// - G >= 128, one group per k-block ("raw"): the MMA takes 128 + q as it is (two logic ops per pair)
//   and the group's scale s and zero z apply to its sums, y += s * sum(x * (128 + q)) + (z - 136 s) *
//   sum(x), where sum(x) comes from one more MMA against ones (shared by the block's n-tiles).
// - G = 32, 64: a lane's 32 inputs lie in one group, whose (s, z) dequantizes each pair to
//   bf16 (q - 8) * s + z before the MMA.
// A folded RMSNorm (one row only) changes only the end: the consumer's sums of squares come into
// shared memory behind the ring (copied with the first activations), and the producer's norm weight
// and scatter indexes load before waitForPrevious, so neither adds a dependent load to the epilogue.
template <int NT, int G, bool Tall, int MinBlocks = (NT == 2 ? 3 : 2), bool StagedX = false, int Folded = kNoFold>
__global__ void __launch_bounds__(kThreads, MinBlocks) int4MmaKernel(const __nv_bfloat16* __restrict__ x,
                                                                          const uint4* __restrict__ w,
                                                                          const __nv_bfloat162* __restrict__ scalesZeros,
                                                                          __nv_bfloat16* __restrict__ y, int m, int n,
                                                                          int k, NormOutput normOut, NormInput normIn,
                                                                          InputParts parts, int prefetchBytes,
                                                                          int prefetchBlocks) {
    static_assert(!(StagedX && Tall), "activations go through the ring for one row only");
    static_assert(Folded == kNoFold || StagedX, "norms fold into one-row matmuls only");
    using R = Ring<NT, G, StagedX>;
    constexpr bool kRaw = G >= 128;
    constexpr int kAcc = Tall ? NT : NT / 2;  // accumulator fragments: per n-tile (Tall) or per pair of n-tiles
    extern __shared__ __align__(16) unsigned char shared[];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, g = lane / 4, t = lane % 4;
    const int tiles = n / 8, blocks = k / 128;
    const int nt0 = blockIdx.y * NT;
    const int row0 = blockIdx.x * 16 + g, row1 = row0 + 8;
    const bool has0 = row0 < m, has1 = Tall && row1 < m;
    // The input copy of this block's part (a multiple of NT n-tiles wide, InputParts).
    int part = 0;
#pragma unroll
    for (int p = 1; p < kMaxInputParts; ++p) part += p < parts.count && nt0 >= parts.firstTile[p];
    x += static_cast<int64_t>(part) * m * k;
    const uint4* x0 = reinterpret_cast<const uint4*>(x + static_cast<int64_t>(has0 ? row0 : 0) * k + 32 * t);
    const uint4* x1 = reinterpret_cast<const uint4*>(x + static_cast<int64_t>(has1 ? row1 : 0) * k + 32 * t);
    unsigned char* ring = shared + static_cast<size_t>(warp) * R::kStages * R::kStageBytes;
    auto weightsOf = [&](int slot) { return reinterpret_cast<uint4*>(ring + slot * R::kStageBytes); };
    auto scalesOf = [&](int slot) {
        return reinterpret_cast<const uint32_t*>(ring + slot * R::kStageBytes + R::kWeightWords * 16);
    };
    const int count = warp < blocks ? (blocks - warp + kWarps - 1) / kWarps : 0;  // this warp's k-blocks

    // Folded: the output of this thread (threadIdx.x < NT * 8: column threadIdx.x of the block, row 0).
    const int foldColumn = nt0 * 8 + threadIdx.x;
    const bool foldsColumn = threadIdx.x < NT * 8 && foldColumn < n;
    float normWeight = 0.f;
    int scaledColumn[kMaxInputParts];  // of each copy: column foldColumn of copy p goes to scaled[p n + scaledColumn[p]]
#pragma unroll
    for (int p = 0; p < kMaxInputParts; ++p) scaledColumn[p] = p * n + foldColumn;
    if constexpr (Folded == kProduce) {
        if (foldsColumn) {
            normWeight = __bfloat162float(normOut.weight[foldColumn]);
            if (normOut.scatter) {
#pragma unroll
                for (int p = 0; p < kMaxInputParts; ++p)
                    if (p < normOut.copies) scaledColumn[p] = p * n + static_cast<int>(normOut.scatter[p * n + foldColumn]);
            }
        }
    }

    allowNextToStart();
    // Copies k-block i of this warp (kb = warp + 8 i) into slot i % Stages; a cp.async group per call, even empty.
    const uint4* wFirst = w + (static_cast<int64_t>(nt0) * blocks + warp) * 32 + lane;
    // Scales: the k-block's kGroups rows of the block's NT * 8 columns, 16 bytes (4 columns) per lane
    // (cp.async.cg, like the weights: streamed data stays out of L1, which keeps the activations).
    constexpr int kScaleChunks = NT * 2;  // per group row
    const int scaleGroup = lane / kScaleChunks, scaleChunk = lane % kScaleChunks;
    const bool copiesScales = lane < R::kGroups * kScaleChunks && nt0 + scaleChunk / 2 < tiles;
    const __nv_bfloat162* sFirst = scalesZeros + static_cast<int64_t>(warp * 128 / G + scaleGroup) * n + nt0 * 8 + scaleChunk * 4;
    const int64_t tileWords = static_cast<int64_t>(blocks) * 32;
    const int64_t scaleStep = static_cast<int64_t>(kWarps * 128 / G) * n;  // scale rows per 8 k-blocks
    // StagedX: each lane's activations of the k-block come through the ring too (after the weights'
    // prologue: they are the previous kernel's output), off the multiply's critical path.
    auto xOf = [&](int slot) { return weightsOf(slot) + R::kWeightWords + R::kScaleWords / 4; };
    auto issueX = [&](int i) {
        if constexpr (StagedX) {
            if (i < count) {
                uint4* xs = xOf(i % R::kStages) + lane * 4;
                const int kb = warp + i * kWarps;
#pragma unroll
                for (int u = 0; u < 4; ++u)
                    if (has0) copy16(xs + u, x0 + kb * 16 + u);
            }
        }
    };
    // Calls come in order of i: the sources advance by one stride per call.
    const uint4* wNext = wFirst;
    const __nv_bfloat162* sNext = sFirst;
    auto issue = [&](int i) {
        if (i >= R::kStages - 1) issueX(i);  // earlier ones: after waitForPrevious
        if (i < count) {
            uint4* ws = weightsOf(i % R::kStages);
            __nv_bfloat162* ss = reinterpret_cast<__nv_bfloat162*>(ws + R::kWeightWords);
#pragma unroll
            for (int j = 0; j < NT; ++j)
                if (nt0 + j < tiles) copy16(ws + j * 32 + lane, wNext + j * tileWords);
            if (copiesScales) copy16(ss + scaleGroup * NT * 8 + scaleChunk * 4, sNext);
        }
        commitCopies();
        wNext += kWarps * 32;
        sNext += scaleStep;
    };
    auto multiply = [&](int kb, int slot, float (&acc)[kAcc][4]) {
        const uint4* ws = weightsOf(slot);
        const uint32_t* ss = scalesOf(slot);
        uint4 q[NT];
#pragma unroll
        for (int i = 0; i < NT; ++i) q[i] = ws[i * 32 + lane];
        // Words 2c and 2c + 1 of a lane's 32 inputs (rows g and, Tall, g + 8) are chunk c's.
        uint4 xa[4], xb[4];
#pragma unroll
        for (int u = 0; u < 4; ++u) {
            if constexpr (StagedX) {
                xa[u] = has0 ? xOf(slot)[lane * 4 + u] : make_uint4(0, 0, 0, 0);
                xb[u] = make_uint4(0, 0, 0, 0);
            } else {
                xa[u] = has0 ? __ldg(x0 + kb * 16 + u) : make_uint4(0, 0, 0, 0);
                xb[u] = has1 ? __ldg(x1 + kb * 16 + u) : make_uint4(0, 0, 0, 0);
            }
        }
        auto low = [&](const uint4 (&v)[4], int c) { return component(v[c / 2], 2 * (c % 2)); };
        auto high = [&](const uint4 (&v)[4], int c) { return component(v[c / 2], 2 * (c % 2) + 1); };
        // This lane's (scale, zero) of n-tile i, column col, for its inputs of the k-block.
        auto scaleZero = [&](int i, int col) { return ss[(kRaw ? 0 : 32 * t / G) * NT * 8 + i * 8 + col]; };
        auto correct = [&](float& out, float part, float sum, uint32_t sz) {  // raw: apply (s, z) to the sums
            const float2 scaleZero = halfPair(sz);
            out = fmaf(scaleZero.x, part, fmaf(fmaf(-136.f, scaleZero.x, scaleZero.y), sum, out));
        };
        if constexpr (!Tall) {
            // A: n-tiles 2p (rows 0-7) and 2p + 1 (rows 8-15) at column g; B: activation row g.
            constexpr uint32_t kOnes[4] = {0x3F803F80u, 0x3F803F80u, 0x3F803F80u, 0x3F803F80u};
            float part[kAcc][4] = {}, sums[4] = {};
            uint32_t sz[NT];
#pragma unroll
            for (int i = 0; i < NT; ++i) sz[i] = scaleZero(i, g);
#pragma unroll
            for (int c = 0; c < 8; ++c) {
                const uint32_t b0 = low(xa, c), b1 = high(xa, c);
                const int shift = (c % 2) * 8;
                if constexpr (kRaw) mma(sums, kOnes, b0, b1);  // each row's sum of x (rows 2t, 2t + 1)
#pragma unroll
                for (int p = 0; p < kAcc; ++p) {
                    const uint32_t lo = component(q[2 * p], c / 2), hi = component(q[2 * p + 1], c / 2);
                    if constexpr (kRaw) {
                        const uint32_t a[4] = {raw(lo, shift), raw(hi, shift), raw(lo, shift + 4), raw(hi, shift + 4)};
                        mma(part[p], a, b0, b1);
                    } else {
                        const __nv_bfloat162 s0 = __low2bfloat162(pair(sz[2 * p])), z0 = __high2bfloat162(pair(sz[2 * p]));
                        const __nv_bfloat162 s1 = __low2bfloat162(pair(sz[2 * p + 1])), z1 = __high2bfloat162(pair(sz[2 * p + 1]));
                        const uint32_t a[4] = {dequantize(lo, shift, s0, z0), dequantize(hi, shift, s1, z1),
                                               dequantize(lo, shift + 4, s0, z0), dequantize(hi, shift + 4, s1, z1)};
                        mma(acc[p], a, b0, b1);
                    }
                }
            }
            if constexpr (kRaw) {
#pragma unroll
                for (int p = 0; p < kAcc; ++p) {
                    correct(acc[p][0], part[p][0], sums[0], sz[2 * p]);
                    correct(acc[p][2], part[p][2], sums[2], sz[2 * p + 1]);
                    if constexpr (!StagedX) {  // elements 1 and 3: activation rows 2t + 1, none at one row
                        correct(acc[p][1], part[p][1], sums[1], sz[2 * p]);
                        correct(acc[p][3], part[p][3], sums[3], sz[2 * p + 1]);
                    }
                }
            }
        } else {
            // A: activation rows g and g + 8; B: n-tile i at column g. The lane's outputs are columns 2t, 2t + 1.
            constexpr uint32_t kOnes = 0x3F803F80u;
            float part[kAcc][4] = {}, sums[4] = {};
#pragma unroll
            for (int c = 0; c < 8; ++c) {
                const uint32_t a[4] = {low(xa, c), low(xb, c), high(xa, c), high(xb, c)};
                const int shift = (c % 2) * 8;
                if constexpr (kRaw) mma(sums, a, kOnes, kOnes);  // each row's sum of x
#pragma unroll
                for (int i = 0; i < NT; ++i) {
                    const uint32_t word = component(q[i], c / 2);
                    if constexpr (kRaw) {
                        mma(part[i], a, raw(word, shift), raw(word, shift + 4));
                    } else {
                        const uint32_t sz = scaleZero(i, g);
                        const __nv_bfloat162 s0 = __low2bfloat162(pair(sz)), z0 = __high2bfloat162(pair(sz));
                        mma(acc[i], a, dequantize(word, shift, s0, z0), dequantize(word, shift + 4, s0, z0));
                    }
                }
            }
            if constexpr (kRaw) {
#pragma unroll
                for (int i = 0; i < NT; ++i) {
                    const uint32_t s0 = scaleZero(i, 2 * t), s1 = scaleZero(i, 2 * t + 1);
                    correct(acc[i][0], part[i][0], sums[0], s0);
                    correct(acc[i][1], part[i][1], sums[1], s1);
                    correct(acc[i][2], part[i][2], sums[2], s0);
                    correct(acc[i][3], part[i][3], sums[3], s1);
                }
            }
        }
    };

#pragma unroll
    for (int i = 0; i < R::kStages - 1; ++i) issue(i);
    // One row: the blocks of the first wave also ask the L2 for each n-tile's next prefetchBytes
    // beyond the ring's prologue, so that while they wait for the kernel before (attention, SiLU, the
    // last wave of a matmul) the memory bus is busy, and after it their first k-blocks hit the L2.
    // Measured on an H100 (docs/fast-path.md, "The next weights into the L2 while waiting"): 8 KB per
    // n-tile -0.3 ms a step; 16 KB and more, or every block of a many-wave matmul prefetching, slower
    // (they evict what the running kernel reads).
    if (prefetchBytes > 0 && blockIdx.y < prefetchBlocks && warp == 0 && lane < NT && nt0 + lane < tiles) {
        const int64_t ahead = static_cast<int64_t>(R::kStages - 1) * kWarps * 512;
        const int64_t left = tileWords * 16 - ahead;
        const int size = static_cast<int>(left < prefetchBytes ? left : prefetchBytes);
        if (size > 0) prefetchL2(reinterpret_cast<const unsigned char*>(w + (nt0 + lane) * tileWords) + ahead, size);
    }
    waitForPrevious();  // x is the previous kernel's output
    // A folded norm's sums of squares (one row), behind the ring, in the prologue activations' group.
    float* squaresIn = reinterpret_cast<float*>(shared + R::kBlockBytes);
    if constexpr (Folded == kConsume)
        for (int e = threadIdx.x; e < normIn.parts; e += kThreads) copy4(squaresIn + e, normIn.squares + e);
    if constexpr (StagedX) {
        for (int i = 0; i < R::kStages - 1; ++i) issueX(i);  // one more group: the prologue's activations
        commitCopies();
    }

    float acc[kAcc][4];
#pragma unroll
    for (int i = 0; i < kAcc; ++i) acc[i][0] = acc[i][1] = acc[i][2] = acc[i][3] = 0.f;
    for (int i = 0; i < count; ++i) {
        issue(i + R::kStages - 1);     // refills the slot multiplied in the previous iteration
        // k-block i has landed (StagedX, early on: with the prologue's activations, a later group)
        if (StagedX && i < R::kStages - 1) waitCopiesAtMost(i + 1);
        else waitCopies<R::kStages - 1>();
        __syncwarp();                  // ... including the scales other lanes copied
        multiply(warp + i * kWarps, i % R::kStages, acc);
        __syncwarp();                  // every lane is done with the slot before it is refilled
    }

    // The ring is free: its first kAcc * 4 KB hold the warps' partial sums.
    waitCopies<0>();
    __syncthreads();
    float(*partial)[kAcc][32][4] = reinterpret_cast<float(*)[kAcc][32][4]>(shared);
#pragma unroll
    for (int i = 0; i < kAcc; ++i)
#pragma unroll
        for (int r = 0; r < 4; ++r) partial[warp][i][lane][r] = acc[i][r];
    __syncthreads();
    if constexpr (Folded == kNoFold) {
        for (int e = threadIdx.x; e < kAcc * 32 * 4; e += kThreads) {
            const int i = e / 128, l = (e / 4) % 32, r = e % 4;
            float sum = 0.f;
#pragma unroll
            for (int v = 0; v < kWarps; ++v) sum += partial[v][i][l][r];
            // Fragment element r of lane l = 4g + t: rows g / g + 8 by columns 2t, 2t + 1 (see multiply).
            const int tile = nt0 + (Tall ? i : 2 * i + (r >= 2 ? 1 : 0));
            const int row = Tall ? blockIdx.x * 16 + l / 4 + (r >= 2 ? 8 : 0) : 2 * (l % 4) + (r & 1);
            const int col = tile * 8 + (Tall ? 2 * (l % 4) + (r & 1) : l / 4);
            if (row < m && tile < tiles) y[static_cast<int64_t>(row) * n + col] = __float2bfloat16(sum);
        }
    } else {
        // One row: column c of the block is fragment pair c / 16, lane 4 (c % 8), element 0 for an
        // even n-tile and 2 for an odd one (multiply, !Tall: n-tiles 2p, 2p + 1 are A's rows 0-7, 8-15).
        float sum = 0.f;
        if (foldsColumn) {
            const int c = threadIdx.x, pairOf = c / 16, lane0 = 4 * (c % 8), element = (c / 8) % 2 == 0 ? 0 : 2;
#pragma unroll
            for (int v = 0; v < kWarps; ++v) sum += partial[v][pairOf][lane0][element];
        }
        float* scratch = reinterpret_cast<float*>(partial + kWarps);  // [kWarps]
        if constexpr (Folded == kProduce) {
            // h += this output, rounded as the unfolded path rounds it (bf16 delta, bf16 sum).
            float h = 0.f;
            if (foldsColumn) {
                const __nv_bfloat16 v = __float2bfloat16(__bfloat162float(y[foldColumn]) + __bfloat162float(__float2bfloat16(sum)));
                y[foldColumn] = v;
                h = __bfloat162float(v);
                const __nv_bfloat16 scaled = __float2bfloat16(normWeight * h);
#pragma unroll
                for (int p = 0; p < kMaxInputParts; ++p)
                    if (p < normOut.copies) normOut.scaled[scaledColumn[p]] = scaled;
            }
            if (warp == 0) {  // the block's NT * 8 <= 32 columns
                const float squares = warpSum(h * h);
                if (lane == 0) normOut.squares[blockIdx.y] = squares;
            }
        } else {
            if (warp == 0) {
                float squares = 0.f;
                for (int p = lane; p < normIn.parts; p += 32) squares += squaresIn[p];
                squares = warpSum(squares);
                if (lane == 0) scratch[0] = rsqrtf(squares / normIn.width + normIn.eps);
            }
            __syncthreads();
            if (foldsColumn) y[foldColumn] = __float2bfloat16(sum * scratch[0]);
        }
    }
}

// The L2 prefetch at one row (see the kernel): 8 KB per n-tile, by the blocks of the first wave (2 per
// SM). Measured on an H100 (docs/fast-path.md, "The next weights into the L2 while waiting"): 12 KB and
// more compete with the running kernel.
constexpr int kL2PrefetchBytesPerTile = 8 * 1024;

// Blocks of 4 n-tiles the GPU runs at once (2 per SM): one wave.
int firstWaveBlocks() {
    static const int blocks = [] {
        int device = 0, sms = 0;
        cudaGetDevice(&device);
        cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
        return 2 * sms;
    }();
    return blocks;
}

struct Epilogue {
    NormOutput out;
    NormInput in;
    InputParts parts;
};

template <int NT, int G, bool Tall, int MinBlocks = (NT == 2 ? 3 : 2), bool StagedX = false, int Folded = kNoFold>
cudaError_t launchTiled(const __nv_bfloat16* x, const uint4* w, const __nv_bfloat162* sz, __nv_bfloat16* y, int m,
                        int n, int k, cudaStream_t stream, const Epilogue& epilogue = {}) {
    constexpr int ringBytes = Ring<NT, G, StagedX>::kBlockBytes;
    static_assert(ringBytes >= static_cast<int>(sizeof(float)) * kWarps * (NT * 32 * 4 + 1), "the ring must hold the partial sums");
    const int bytes = ringBytes + (Folded == kConsume ? epilogue.in.parts * 4 : 0);
    // The ring may be more than the default 48 KB: raised per instantiation as launches need. The
    // carveout stays the driver's choice: the largest shared memory setting costs the activations
    // their L1 hits (-15%).
    static int raisedTo = 0;
    auto kernel = int4MmaKernel<NT, G, Tall, MinBlocks, StagedX, Folded>;
    if (bytes > raisedTo) {
        const cudaError_t raised = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
        if (raised != cudaSuccess) return raised;
        raisedTo = bytes;
    }
    const dim3 grid((m + 15) / 16, (n / 8 + NT - 1) / NT);
    return launchDependent(kernel, grid, dim3(kThreads), bytes, stream, x, w, sz, y, m, n, k, epilogue.out, epilogue.in,
                           epilogue.parts, m == 1 ? kL2PrefetchBytesPerTile : 0, firstWaveBlocks());
}

template <int NT, int G>
cudaError_t launchRows(const __nv_bfloat16* x, const uint4* w, const __nv_bfloat162* sz, __nv_bfloat16* y, int m, int n,
                       int k, cudaStream_t stream, const Epilogue& e) {
    // One row (batch-1 decode): the activations through the ring too, measured +5% tokens/s on the
    // 34B shape (docs/fast-path.md, "The int4 matmul"). With more rows each warp would copy up to 16 rows per k-block,
    // as many bytes as its weights: batch 16 halved. There L1 serves them better.
    if constexpr (NT == 4) {
        if (m == 1) {
            if (e.out.weight != nullptr) return launchTiled<NT, G, false, 2, true, kProduce>(x, w, sz, y, m, n, k, stream, e);
            if (e.in.squares != nullptr) return launchTiled<NT, G, false, 2, true, kConsume>(x, w, sz, y, m, n, k, stream, e);
            return launchTiled<NT, G, false, 2, true>(x, w, sz, y, m, n, k, stream, e);
        }
    }
    if (e.out.weight != nullptr || e.in.squares != nullptr) return cudaErrorInvalidValue;  // one row only
    if (m > 8) return launchTiled<NT, G, true>(x, w, sz, y, m, n, k, stream, e);
    // More blocks than two per SM take: three per SM (80 registers) fit them in one wave (qkv: +10%);
    // with fewer, three per SM would leave SMs idle (o, down: -30%).
    if ((n / 8 + NT - 1) / NT > firstWaveBlocks()) return launchTiled<NT, G, false, 3>(x, w, sz, y, m, n, k, stream, e);
    return launchTiled<NT, G, false>(x, w, sz, y, m, n, k, stream, e);
}

template <int NT>
cudaError_t launch(const __nv_bfloat16* x, const uint4* w, const __nv_bfloat162* sz, __nv_bfloat16* y, int m, int n,
                   int k, int groupSize, cudaStream_t stream, const Epilogue& e) {
    switch (groupSize) {
        case 32: return launchRows<NT, 32>(x, w, sz, y, m, n, k, stream, e);
        case 64: return launchRows<NT, 64>(x, w, sz, y, m, n, k, stream, e);
        case 128: return launchRows<NT, 128>(x, w, sz, y, m, n, k, stream, e);
        case 256: return launchRows<NT, 256>(x, w, sz, y, m, n, k, stream, e);
        default: return cudaErrorInvalidValue;
    }
}

}  // namespace

bool int4MmaFits(int64_t n, int64_t k, int64_t groupSize) {
    return k % 128 == 0 && n % 8 == 0 && (groupSize == 32 || groupSize == 64 || groupSize == 128 || groupSize == 256);
}

int defaultTilesPerBlock(int) {
    // Measured on an H100 over the CodeLlama-34B shapes at 1 to 16 rows (docs/fast-path.md, "The int4
    // matmul"): 4 n-tiles per block fastest or within 4% (qkv at up to 8 rows: 2 by 4%) in every case.
    return 4;
}

int normParts(int n) {
    return (n / 8 + defaultTilesPerBlock(1) - 1) / defaultTilesPerBlock(1);
}

cudaError_t int4Mma(const __nv_bfloat16* x, const int32_t* qweight, const __nv_bfloat162* scalesZeros,
                    __nv_bfloat16* y, int m, int n, int k, int groupSize, int tilesPerBlock, cudaStream_t stream,
                    const NormOutput& out, const NormInput& in, const InputParts& parts) {
    if (m <= 0 || !int4MmaFits(n, k, groupSize)) return cudaErrorInvalidValue;
    const int tiles = tilesPerBlock != 0 ? tilesPerBlock : defaultTilesPerBlock(m);
    if (parts.count < 1 || parts.count > kMaxInputParts || parts.firstTile[0] != 0) return cudaErrorInvalidValue;
    for (int p = 1; p < parts.count; ++p)
        if (parts.firstTile[p] <= parts.firstTile[p - 1] || parts.firstTile[p] % tiles != 0 || parts.firstTile[p] >= n / 8)
            return cudaErrorInvalidValue;
    if (out.copies < 1 || out.copies > kMaxInputParts || (out.copies > 1 && out.scatter == nullptr)) return cudaErrorInvalidValue;
    const bool folded = out.weight != nullptr || in.squares != nullptr;
    // One row and the default tiles: the partial sums are one per block of those (normParts).
    if (folded && (m != 1 || (tilesPerBlock != 0 && tilesPerBlock != defaultTilesPerBlock(m)) || (out.weight && in.squares)))
        return cudaErrorInvalidValue;
    if (out.weight != nullptr && (out.scaled == nullptr || out.squares == nullptr)) return cudaErrorInvalidValue;
    if (in.squares != nullptr && (in.parts <= 0 || in.width <= 0)) return cudaErrorInvalidValue;
    const uint4* w = reinterpret_cast<const uint4*>(qweight);
    const Epilogue e{out, in, parts};
    switch (tilesPerBlock != 0 ? tilesPerBlock : defaultTilesPerBlock(m)) {
        case 2: return launch<2>(x, w, scalesZeros, y, m, n, k, groupSize, stream, e);
        case 4: return launch<4>(x, w, scalesZeros, y, m, n, k, groupSize, stream, e);
        default: return cudaErrorInvalidValue;
    }
}

}  // namespace llmops::kernels
