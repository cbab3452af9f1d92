#include "sampling_kernels.h"

namespace llmops::kernels {
namespace {

// SplitMix64's finalizer: a bijection whose output bits each depend on every input bit.
__device__ __forceinline__ uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

__global__ void gumbelNoiseKernel(float* out, const int64_t* seeds, const int64_t* steps, int vocab) {
    const int row = blockIdx.x;  // rows on x: up to 2^31 - 1 of them (y stops at 65535)
    const int v = blockIdx.y * blockDim.x + threadIdx.x;
    if (v >= vocab) return;
    const uint64_t stream = mix(static_cast<uint64_t>(seeds[row]) + 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(steps[row] + 1));
    const uint64_t bits = mix(stream ^ (0xD1B54A32D192ED03ULL * static_cast<uint64_t>(v + 1)));
    const float u = (static_cast<float>(bits >> 40) + 0.5f) * (1.0f / 16777216.0f);  // (0, 1), 24 bits
    const float e = fmaxf(-logf(u), 1e-30f);                                          // Exp(1)
    out[static_cast<int64_t>(row) * vocab + v] = -logf(e);
}

}  // namespace

cudaError_t gumbelNoise(float* out, const int64_t* seeds, const int64_t* steps, int n, int vocab, cudaStream_t stream) {
    if (n <= 0 || vocab <= 0) return cudaErrorInvalidValue;
    const int threads = 256;
    gumbelNoiseKernel<<<dim3(n, (vocab + threads - 1) / threads), threads, 0, stream>>>(out, seeds, steps, vocab);
    return cudaGetLastError();
}

}  // namespace llmops::kernels
