#include "int4_gemv.h"

#include <map>
#include <mutex>

namespace llmops::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kRows = 4;  // rows per block step: each activation value read from shared memory serves all

// (q + 128) of two nibbles as floats: bf16 0x4300 is 128 and its low mantissa bits count by one.
__device__ __forceinline__ void nibblePair(uint32_t word, int j, float& lo, float& hi) {
    const uint32_t t = ((word >> (4 * j)) & 0x000F000Fu) | 0x43004300u;
    lo = __uint_as_float(t << 16);
    hi = __uint_as_float(t & 0xFFFF0000u);
}

// The activation, gathered by perm where given, into shared memory as float.
__device__ __forceinline__ void loadActivation(const __nv_bfloat16* __restrict__ x, const int64_t* __restrict__ perm,
                                               float* xs, int k) {
    if (perm == nullptr) {
        for (int i = threadIdx.x; i < k / 8; i += kThreads) {
            const uint4 v = __ldg(reinterpret_cast<const uint4*>(x) + i);
            const uint32_t w[4] = {v.x, v.y, v.z, v.w};
            float f[8];
#pragma unroll
            for (int j = 0; j < 4; ++j) {
                f[2 * j] = __uint_as_float(w[j] << 16);
                f[2 * j + 1] = __uint_as_float(w[j] & 0xFFFF0000u);
            }
            reinterpret_cast<float4*>(xs)[2 * i] = make_float4(f[0], f[1], f[2], f[3]);
            reinterpret_cast<float4*>(xs)[2 * i + 1] = make_float4(f[4], f[5], f[6], f[7]);
        }
    } else {
#pragma unroll 8
        for (int i = threadIdx.x; i < k; i += kThreads) xs[i] = __bfloat162float(x[__ldg(perm + i)]);
    }
}

// A persistent grid: each block loads the activation once, then takes kRows rows at a time, all its
// threads splitting K (so even N = 8192 keeps every SM streaming), and reduces across warps.
__global__ void __launch_bounds__(kThreads) int4GemvKernel(const __nv_bfloat16* __restrict__ x,
                                                           const int64_t* __restrict__ perm,
                                                           const uint4* __restrict__ qweight,
                                                           const __nv_bfloat162* __restrict__ scalesZeros,
                                                           __nv_bfloat16* __restrict__ y, int n, int k, int groupSize) {
    extern __shared__ float xs[];
    float* partial = xs + k;  // [kWarps][kRows]
    loadActivation(x, perm, xs, k);
    __syncthreads();

    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int chunks = k / 32;  // 16-byte chunks (32 weights) per row
    const int groups = k / groupSize;
    const int chunksPerGroup = groupSize / 32;
    for (int row0 = blockIdx.x * kRows; row0 < n; row0 += gridDim.x * kRows) {
        float acc[kRows] = {};
        for (int c = threadIdx.x; c < chunks; c += kThreads) {
            uint4 q[kRows];
#pragma unroll
            for (int r = 0; r < kRows; ++r) {
                q[r] = row0 + r < n ? __ldg(qweight + static_cast<int64_t>(row0 + r) * chunks + c) : make_uint4(0, 0, 0, 0);
            }
            const float4* xv = reinterpret_cast<const float4*>(xs + c * 32);
            float d[kRows] = {};
            float xsum = 0.f;
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                const float4 a = xv[2 * i], b = xv[2 * i + 1];  // k = 8i..8i+3 and 8i+4..8i+7
                xsum += (a.x + a.y) + (a.z + a.w) + (b.x + b.y) + (b.z + b.w);
                const float xa[4] = {a.x, a.y, a.z, a.w}, xb[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
                for (int r = 0; r < kRows; ++r) {
                    const uint32_t word = i == 0 ? q[r].x : i == 1 ? q[r].y : i == 2 ? q[r].z : q[r].w;
#pragma unroll
                    for (int j = 0; j < 4; ++j) {
                        float lo, hi;
                        nibblePair(word, j, lo, hi);
                        d[r] = fmaf(lo, xa[j], d[r]);
                        d[r] = fmaf(hi, xb[j], d[r]);
                    }
                }
            }
            // sum (q - 8) s x + zero x = s * sum (q + 128) x + (zero - 136 s) * sum x
            const int g = c / chunksPerGroup;
#pragma unroll
            for (int r = 0; r < kRows; ++r) {
                if (row0 + r < n) {
                    const float2 sz = __bfloat1622float2(scalesZeros[static_cast<int64_t>(row0 + r) * groups + g]);
                    acc[r] += sz.x * d[r] + (sz.y - 136.f * sz.x) * xsum;
                }
            }
        }
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
            float v = acc[r];
            for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
            if (lane == 0) partial[warp * kRows + r] = v;
        }
        __syncthreads();
        if (threadIdx.x < kRows && row0 + threadIdx.x < n) {
            float v = 0.f;
#pragma unroll
            for (int w = 0; w < kWarps; ++w) v += partial[w * kRows + threadIdx.x];
            y[row0 + threadIdx.x] = __float2bfloat16(v);
        }
        __syncthreads();
    }
}

__global__ void int4DequantizeKernel(const uint32_t* __restrict__ qweight, const __nv_bfloat162* __restrict__ scalesZeros,
                                     __nv_bfloat16* __restrict__ w, int n, int k, int groupSize) {
    const int64_t words = static_cast<int64_t>(n) * (k / 8);
    for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < words;
         i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t row = i / (k / 8);
        const int col = static_cast<int>(i % (k / 8)) * 8;
        const float2 sz = __bfloat1622float2(scalesZeros[row * (k / groupSize) + col / groupSize]);
        const uint32_t word = qweight[i];
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const float q = static_cast<float>((word >> (4 * j)) & 0xFu);
            w[row * k + col + j] = __float2bfloat16((q - 8.f) * sz.x + sz.y);
        }
    }
}

// Blocks that fit on the device at once for this shared-memory size (a grid of resident blocks
// that loop over rows loads the activation once per block).
int residentBlocks(size_t smem) {
    static std::mutex lock;
    static std::map<std::pair<int, size_t>, int> cache;
    int device = 0;
    cudaGetDevice(&device);
    std::lock_guard<std::mutex> guard(lock);
    auto key = std::make_pair(device, smem);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    int optin = 0;
    cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
    // Once per device, to the maximum: lowering it for a small K would break launches for a large one.
    cudaFuncSetAttribute(int4GemvKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, optin);
    int perSm = 0, sms = 0;
    cudaOccupancyMaxActiveBlocksPerMultiprocessor(&perSm, int4GemvKernel, kThreads, smem);
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    const int blocks = perSm * sms;
    cache[key] = blocks;
    return blocks;
}

}  // namespace

cudaError_t int4Gemv(const __nv_bfloat16* x, const int64_t* perm, const uint32_t* qweight,
                     const __nv_bfloat162* scalesZeros, __nv_bfloat16* y, int n, int k, int groupSize,
                     cudaStream_t stream) {
    if (k % 32 != 0 || groupSize % 32 != 0 || k % groupSize != 0) return cudaErrorInvalidValue;
    const size_t smem = static_cast<size_t>(k + kWarps * kRows) * sizeof(float);
    const int resident = residentBlocks(smem);
    if (resident == 0) return cudaErrorInvalidConfiguration;
    const int needed = (n + kRows - 1) / kRows;
    const int blocks = needed < resident ? needed : resident;
    int4GemvKernel<<<blocks, kThreads, smem, stream>>>(x, perm, reinterpret_cast<const uint4*>(qweight), scalesZeros, y,
                                                       n, k, groupSize);
    return cudaGetLastError();
}

cudaError_t int4Dequantize(const uint32_t* qweight, const __nv_bfloat162* scalesZeros, __nv_bfloat16* w, int n, int k,
                           int groupSize, cudaStream_t stream) {
    if (k % 8 != 0 || k % groupSize != 0) return cudaErrorInvalidValue;
    int4DequantizeKernel<<<1024, 256, 0, stream>>>(qweight, scalesZeros, w, n, k, groupSize);
    return cudaGetLastError();
}

}  // namespace llmops::kernels
