#include "int4_gemv.h"

#include <map>
#include <mutex>

namespace llmops::kernels {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kRows = 2;  // rows per warp: each activation load from shared memory serves both

// (q + 128) of two nibbles as floats: bf16 0x4300 is 128 and its low mantissa bits count by one.
__device__ __forceinline__ void nibblePair(uint32_t word, int j, float& lo, float& hi) {
    const uint32_t t = ((word >> (4 * j)) & 0x000F000Fu) | 0x43004300u;
    lo = __uint_as_float(t << 16);
    hi = __uint_as_float(t & 0xFFFF0000u);
}

__global__ void __launch_bounds__(kThreads) int4GemvKernel(const __nv_bfloat16* __restrict__ x,
                                                           const int64_t* __restrict__ perm,
                                                           const uint4* __restrict__ qweight,
                                                           const __nv_bfloat162* __restrict__ scalesZeros,
                                                           __nv_bfloat16* __restrict__ y, int n, int k, int groupSize) {
    extern __shared__ float xs[];
    for (int i = threadIdx.x; i < k; i += kThreads) xs[i] = __bfloat162float(x[perm ? perm[i] : i]);
    __syncthreads();

    const int lane = threadIdx.x % 32;
    const int chunks = k / 32;  // 16-byte chunks (32 weights) per row
    const int groups = k / groupSize;
    const int chunksPerGroup = groupSize / 32;
    for (int row0 = (blockIdx.x * kWarps + threadIdx.x / 32) * kRows; row0 < n; row0 += gridDim.x * kWarps * kRows) {
        float acc[kRows] = {};
        for (int c = lane; c < chunks; c += 32) {
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
            if (lane == 0 && row0 + r < n) y[row0 + r] = __float2bfloat16(v);
        }
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
    cudaFuncSetAttribute(int4GemvKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
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
    const size_t smem = static_cast<size_t>(k) * sizeof(float);
    const int resident = residentBlocks(smem);
    if (resident == 0) return cudaErrorInvalidConfiguration;
    const int needed = (n + kWarps * kRows - 1) / (kWarps * kRows);
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
