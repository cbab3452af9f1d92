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

}  // namespace

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
