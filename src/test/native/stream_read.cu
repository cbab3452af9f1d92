#include "stream_read.h"

namespace llmops::lab {
namespace {

// Each thread keeps 8 independent 16-byte loads in flight; the XOR of everything read goes to out so
// that no load can be dropped.
__global__ void streamReadKernel(const uint4* __restrict__ data, int64_t words, unsigned int* out) {
    constexpr int kUnroll = 8;
    const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
    unsigned int v = 0;
    int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    for (; i + (kUnroll - 1) * stride < words; i += kUnroll * stride) {
        uint4 r[kUnroll];
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) r[u] = __ldcs(data + i + u * stride);
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) v ^= r[u].x ^ r[u].y ^ r[u].z ^ r[u].w;
    }
    for (; i < words; i += stride) {
        const uint4 r = __ldcs(data + i);
        v ^= r.x ^ r.y ^ r.z ^ r.w;
    }
    if (v == 0x12345678u) *out = v;  // practically never: the loads stay, the write does not cost
}

}  // namespace

cudaError_t streamRead(const void* data, int64_t bytes, unsigned int* out, int blocksPerSm, cudaStream_t stream) {
    int device = 0, sms = 0;
    cudaGetDevice(&device);
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    streamReadKernel<<<sms * blocksPerSm, 256, 0, stream>>>(static_cast<const uint4*>(data), bytes / 16, out);
    return cudaGetLastError();
}

}  // namespace llmops::lab
