#include "fused_kernels.h"

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

__global__ void addRmsNormKernel(__nv_bfloat16* residual, const __nv_bfloat16* delta, const __nv_bfloat16* weight,
                                 const int64_t* perm, __nv_bfloat16* out, int h, float eps) {
    __shared__ float scratch[32];
    __nv_bfloat16* x = residual + static_cast<int64_t>(blockIdx.x) * h;
    const __nv_bfloat16* dx = delta ? delta + static_cast<int64_t>(blockIdx.x) * h : nullptr;
    __nv_bfloat16* y = out + static_cast<int64_t>(blockIdx.x) * h;
    float sum = 0.f;
    for (int j = threadIdx.x; j < h; j += blockDim.x) {
        float v;
        if (dx) {
            // bf16 residual stream, as in HF: the sum is rounded to bf16.
            __nv_bfloat16 s = __float2bfloat16(__bfloat162float(x[j]) + __bfloat162float(dx[j]));
            x[j] = s;
            v = __bfloat162float(s);
        } else {
            v = __bfloat162float(x[j]);
        }
        sum += v * v;
    }
    const float inv = rsqrtf(blockSum(sum, scratch) / h + eps);
    // Each thread rereads only elements it may not have written: sync so all residual writes are visible.
    __syncthreads();
    for (int j = threadIdx.x; j < h; j += blockDim.x) {
        const int s = perm ? static_cast<int>(perm[j]) : j;
        const __nv_bfloat16 normed = __float2bfloat16(__bfloat162float(x[s]) * inv);
        y[j] = __float2bfloat16(__bfloat162float(weight[s]) * __bfloat162float(normed));
    }
}

__global__ void ropeAndCacheWriteKernel(const __nv_bfloat16* qkv, const int64_t* positions, const float* cos,
                                        const float* sin, __nv_bfloat16* kCache, __nv_bfloat16* vCache,
                                        __nv_bfloat16* qOut, int m, int hq, int hkv, int d, int capacity) {
    const int row = blockIdx.x;   // token i of the step
    const int head = blockIdx.y;  // q heads, then k heads, then v heads
    const int i = threadIdx.x;    // dimension
    const int64_t pos = positions[row];
    const int width = (hq + 2 * hkv) * d;
    const __nv_bfloat16* src = qkv + static_cast<int64_t>(row) * width + static_cast<int64_t>(head) * d;
    const int group = hq / hkv;
    if (head >= hq + hkv) {
        const int vh = head - hq - hkv;
        vCache[(static_cast<int64_t>(vh) * capacity + pos) * d + i] = src[i];
        return;
    }
    const int half = d / 2;
    const float x = __bfloat162float(src[i]);
    const float partner = i < half ? -__bfloat162float(src[i + half]) : __bfloat162float(src[i - half]);
    const __nv_bfloat16 r = __float2bfloat16(x * cos[pos * d + i] + partner * sin[pos * d + i]);
    if (head < hq) {
        const int kvh = head / group, g = head % group;
        qOut[(static_cast<int64_t>(kvh) * group * m + static_cast<int64_t>(g) * m + row) * d + i] = r;
    } else {
        kCache[(static_cast<int64_t>(head - hq) * capacity + pos) * d + i] = r;
    }
}

__global__ void siluMulKernel(const __nv_bfloat16* gateUp, const int64_t* perm, __nv_bfloat16* out, int f) {
    const int64_t row = blockIdx.y;
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= f) return;
    const int s = perm ? static_cast<int>(perm[j]) : j;
    const float g = __bfloat162float(gateUp[row * 2 * f + s]);
    const float u = __bfloat162float(gateUp[row * 2 * f + f + s]);
    const __nv_bfloat16 act = __float2bfloat16(g / (1.f + expf(-g)));
    out[row * f + j] = __float2bfloat16(__bfloat162float(act) * u);
}

constexpr int kAttnWarps = 4;

// One block per query head; d = 128 (4 values per lane). Scores live in shared memory.
__global__ void __launch_bounds__(kAttnWarps * 32) decodeAttentionKernel(
        const __nv_bfloat16* __restrict__ q, const __nv_bfloat16* __restrict__ kCache,
        const __nv_bfloat16* __restrict__ vCache, const int64_t* __restrict__ position, __nv_bfloat16* __restrict__ out,
        int group, int capacity, float scaleLog2) {
    extern __shared__ float scores[];  // [capacity], then [kAttnWarps][128] partial outputs, [kAttnWarps] reductions
    float* partialOut = scores + capacity;
    float* reduce = partialOut + kAttnWarps * 128;
    constexpr int d = 128;
    const int head = blockIdx.x, kvh = head / group;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int length = static_cast<int>(position[0]) + 1;
    const __nv_bfloat16* k = kCache + static_cast<int64_t>(kvh) * capacity * d;
    const __nv_bfloat16* v = vCache + static_cast<int64_t>(kvh) * capacity * d;

    float qv[4];
    {
        const uint2 raw = *reinterpret_cast<const uint2*>(q + static_cast<int64_t>(head) * d + lane * 4);
        qv[0] = __uint_as_float(raw.x << 16);
        qv[1] = __uint_as_float(raw.x & 0xFFFF0000u);
        qv[2] = __uint_as_float(raw.y << 16);
        qv[3] = __uint_as_float(raw.y & 0xFFFF0000u);
    }
    float localMax = -INFINITY;
    for (int t = warp; t < length; t += kAttnWarps) {
        const uint2 raw = __ldg(reinterpret_cast<const uint2*>(k + static_cast<int64_t>(t) * d + lane * 4));
        float s = qv[0] * __uint_as_float(raw.x << 16) + qv[1] * __uint_as_float(raw.x & 0xFFFF0000u) +
                  qv[2] * __uint_as_float(raw.y << 16) + qv[3] * __uint_as_float(raw.y & 0xFFFF0000u);
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        s *= scaleLog2;  // log2 domain: softmax via exp2
        if (lane == 0) scores[t] = s;
        localMax = fmaxf(localMax, s);
    }
    if (lane == 0) reduce[warp] = localMax;
    __syncthreads();
    float maxScore = reduce[0];
    for (int w = 1; w < kAttnWarps; ++w) maxScore = fmaxf(maxScore, reduce[w]);
    __syncthreads();

    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    float localSum = 0.f;
    for (int t = warp; t < length; t += kAttnWarps) {
        const float p = exp2f(scores[t] - maxScore);
        localSum += p;
        const uint2 raw = __ldg(reinterpret_cast<const uint2*>(v + static_cast<int64_t>(t) * d + lane * 4));
        acc[0] = fmaf(p, __uint_as_float(raw.x << 16), acc[0]);
        acc[1] = fmaf(p, __uint_as_float(raw.x & 0xFFFF0000u), acc[1]);
        acc[2] = fmaf(p, __uint_as_float(raw.y << 16), acc[2]);
        acc[3] = fmaf(p, __uint_as_float(raw.y & 0xFFFF0000u), acc[3]);
    }
    for (int i = 0; i < 4; ++i) partialOut[warp * d + lane * 4 + i] = acc[i];
    if (lane == 0) reduce[warp] = localSum;  // every lane of a warp holds the same sum
    __syncthreads();
    float total = 0.f;
    for (int w = 0; w < kAttnWarps; ++w) total += reduce[w];
    for (int i = threadIdx.x; i < d; i += blockDim.x) {
        float o = 0.f;
        for (int w = 0; w < kAttnWarps; ++w) o += partialOut[w * d + i];
        out[static_cast<int64_t>(head) * d + i] = __float2bfloat16(o / total);
    }
}

}  // namespace

cudaError_t decodeAttention(const __nv_bfloat16* q, const __nv_bfloat16* kCache, const __nv_bfloat16* vCache,
                            const int64_t* position, __nv_bfloat16* out, int hq, int hkv, int d, int capacity,
                            cudaStream_t stream) {
    if (d != 128 || hq % hkv != 0) return cudaErrorInvalidValue;
    const size_t smem = (static_cast<size_t>(capacity) + kAttnWarps * 128 + kAttnWarps) * sizeof(float);
    static bool raised = false;
    if (!raised) {
        int device = 0, optin = 0;
        cudaGetDevice(&device);
        cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
        cudaFuncSetAttribute(decodeAttentionKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, optin);
        raised = true;
    }
    const float scaleLog2 = 1.4426950408889634f / sqrtf(static_cast<float>(d));
    decodeAttentionKernel<<<hq, kAttnWarps * 32, smem, stream>>>(q, kCache, vCache, position, out, hq / hkv, capacity,
                                                                 scaleLog2);
    return cudaGetLastError();
}

cudaError_t addRmsNorm(__nv_bfloat16* residual, const __nv_bfloat16* delta, const __nv_bfloat16* weight,
                       const int64_t* perm, __nv_bfloat16* out, int rows, int h, float eps, cudaStream_t stream) {
    addRmsNormKernel<<<rows, kNormThreads, 0, stream>>>(residual, delta, weight, perm, out, h, eps);
    return cudaGetLastError();
}

cudaError_t ropeAndCacheWrite(const __nv_bfloat16* qkv, const int64_t* positions, const float* cos, const float* sin,
                              __nv_bfloat16* kCache, __nv_bfloat16* vCache, __nv_bfloat16* qOut, int m, int hq, int hkv,
                              int d, int capacity, cudaStream_t stream) {
    if (d % 2 != 0 || d > 1024 || hq % hkv != 0) return cudaErrorInvalidValue;
    ropeAndCacheWriteKernel<<<dim3(m, hq + 2 * hkv), d, 0, stream>>>(qkv, positions, cos, sin, kCache, vCache, qOut, m,
                                                                     hq, hkv, d, capacity);
    return cudaGetLastError();
}

cudaError_t siluMul(const __nv_bfloat16* gateUp, const int64_t* perm, __nv_bfloat16* out, int m, int f,
                    cudaStream_t stream) {
    const int threads = 256;
    siluMulKernel<<<dim3((f + threads - 1) / threads, m), threads, 0, stream>>>(gateUp, perm, out, f);
    return cudaGetLastError();
}

}  // namespace llmops::kernels
