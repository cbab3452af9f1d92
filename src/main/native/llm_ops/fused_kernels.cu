#include "fused_kernels.h"

#include "dependent_launch.cuh"

namespace llmops::kernels {
namespace {

constexpr int kNormThreads = 1024;

__device__ float blockSum(float v, float* scratch) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < blockDim.x / 32 ? scratch[lane] : 0.f;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
        if (lane == 0) scratch[0] = v;
    }
    __syncthreads();
    return scratch[0];
}

// One block per row, Per elements a thread. The gather indexes and weights are constant, so they load
// before waitForPrevious; after it, one round of loads, the block sum, and the normalizing pass reads
// the updated row from shared memory (the gather is a shared-memory read, not a global one).
template <int Per>
__global__ void __launch_bounds__(kNormThreads) addRmsNormKernel(__nv_bfloat16* __restrict__ residual,
                                                                 const __nv_bfloat16* __restrict__ delta,
                                                                 const __nv_bfloat16* __restrict__ weight,
                                                                 const int64_t* __restrict__ perm,
                                                                 __nv_bfloat16* __restrict__ out, int h, float eps) {
    extern __shared__ __nv_bfloat16 updated[];  // [h]
    __shared__ float scratch[32];
    allowNextToStart();
    int source[Per];
    float w[Per];
#pragma unroll
    for (int e = 0; e < Per; ++e) {
        const int j = threadIdx.x + e * kNormThreads;
        source[e] = j < h ? (perm ? static_cast<int>(perm[j]) : j) : 0;
        w[e] = j < h ? __bfloat162float(weight[source[e]]) : 0.f;
    }
    waitForPrevious();
    __nv_bfloat16* x = residual + static_cast<int64_t>(blockIdx.x) * h;
    const __nv_bfloat16* dx = delta ? delta + static_cast<int64_t>(blockIdx.x) * h : nullptr;
    __nv_bfloat16* y = out + static_cast<int64_t>(blockIdx.x) * h;
    __nv_bfloat16 xs[Per], ds[Per];
#pragma unroll
    for (int e = 0; e < Per; ++e) {
        const int j = threadIdx.x + e * kNormThreads;
        xs[e] = j < h ? x[j] : __float2bfloat16(0.f);
        ds[e] = j < h && dx ? dx[j] : __float2bfloat16(0.f);
    }
    float sum = 0.f;
#pragma unroll
    for (int e = 0; e < Per; ++e) {
        const int j = threadIdx.x + e * kNormThreads;
        if (j >= h) continue;
        // bf16 residual stream, as in HF: the sum is rounded to bf16.
        const __nv_bfloat16 v = dx ? __float2bfloat16(__bfloat162float(xs[e]) + __bfloat162float(ds[e])) : xs[e];
        if (dx) x[j] = v;
        updated[j] = v;
        sum += __bfloat162float(v) * __bfloat162float(v);
    }
    const float inv = rsqrtf(blockSum(sum, scratch) / h + eps);  // its barrier also publishes `updated`
#pragma unroll
    for (int e = 0; e < Per; ++e) {
        const int j = threadIdx.x + e * kNormThreads;
        if (j >= h) continue;
        const __nv_bfloat16 normed = __float2bfloat16(__bfloat162float(updated[source[e]]) * inv);
        y[j] = __float2bfloat16(w[e] * __bfloat162float(normed));
    }
}

__global__ void siluMulKernel(const __nv_bfloat16* gateUp, const int64_t* perm, __nv_bfloat16* out, int f) {
    allowNextToStart();
    const int64_t row = blockIdx.y;
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    const int s = j < f && perm ? static_cast<int>(perm[j]) : j;  // constant: read before the wait
    waitForPrevious();
    if (j >= f) return;
    const float g = __bfloat162float(gateUp[row * 2 * f + s]);
    const float u = __bfloat162float(gateUp[row * 2 * f + f + s]);
    const __nv_bfloat16 act = __float2bfloat16(g / (1.f + expf(-g)));
    out[row * f + j] = __float2bfloat16(__bfloat162float(act) * u);
}

// One block per row: the embedding row of tokens[row], or, where that is negative, of the token the
// sampler last chose for the row's sequence (a step fed on the device, no host turn between).
template <typename Chunk>
__global__ void embedTokensKernel(const Chunk* __restrict__ embed, const int64_t* __restrict__ tokens,
                                  const int64_t* __restrict__ lastTokens, const int64_t* __restrict__ sequences,
                                  Chunk* __restrict__ out, int width) {
    allowNextToStart();
    const int64_t given = tokens[blockIdx.x];
    const int64_t token = given >= 0 ? given : lastTokens[sequences[blockIdx.x]];
    const Chunk* from = embed + token * width;
    Chunk* to = out + static_cast<int64_t>(blockIdx.x) * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) to[i] = from[i];
}

}  // namespace

bool rmsNormSupports(int h) {
    return h >= 1 && h <= 16 * kNormThreads;
}

cudaError_t addRmsNorm(__nv_bfloat16* residual, const __nv_bfloat16* delta, const __nv_bfloat16* weight,
                       const int64_t* perm, __nv_bfloat16* out, int rows, int h, float eps, cudaStream_t stream) {
    const size_t shared = static_cast<size_t>(h) * sizeof(__nv_bfloat16);
    const dim3 grid(rows), block(kNormThreads);
    switch ((h + kNormThreads - 1) / kNormThreads) {
        case 1: return launchDependent(addRmsNormKernel<1>, grid, block, shared, stream, residual, delta, weight, perm, out, h, eps);
        case 2: return launchDependent(addRmsNormKernel<2>, grid, block, shared, stream, residual, delta, weight, perm, out, h, eps);
        case 3:
        case 4: return launchDependent(addRmsNormKernel<4>, grid, block, shared, stream, residual, delta, weight, perm, out, h, eps);
        case 5: case 6: case 7:
        case 8: return launchDependent(addRmsNormKernel<8>, grid, block, shared, stream, residual, delta, weight, perm, out, h, eps);
        case 9: case 10: case 11: case 12: case 13: case 14: case 15:
        case 16: return launchDependent(addRmsNormKernel<16>, grid, block, shared, stream, residual, delta, weight, perm, out, h, eps);
        default: return cudaErrorInvalidValue;  // rmsNormSupports
    }
}

cudaError_t siluMul(const __nv_bfloat16* gateUp, const int64_t* perm, __nv_bfloat16* out, int m, int f,
                    cudaStream_t stream) {
    const int threads = 256;
    return launchDependent(siluMulKernel, dim3((f + threads - 1) / threads, m), dim3(threads), 0, stream, gateUp, perm,
                           out, f);
}

cudaError_t embedTokens(const __nv_bfloat16* embed, const int64_t* tokens, const int64_t* lastTokens,
                        const int64_t* sequences, __nv_bfloat16* out, int m, int h, cudaStream_t stream) {
    if (m <= 0 || h <= 0) return cudaErrorInvalidValue;
    // Whole rows in 16-byte chunks where they fit (the cudaMalloc'd tensors are 256-byte aligned).
    if (h % 8 == 0) {
        embedTokensKernel<<<m, 256, 0, stream>>>(reinterpret_cast<const uint4*>(embed), tokens, lastTokens, sequences,
                                                 reinterpret_cast<uint4*>(out), h / 8);
    } else {
        embedTokensKernel<<<m, 256, 0, stream>>>(embed, tokens, lastTokens, sequences, out, h);
    }
    return cudaGetLastError();
}

}  // namespace llmops::kernels
