#include "sampling_kernels.h"

#include <cmath>

namespace llmops::kernels {
namespace {

// SplitMix64's finalizer: a bijection whose output bits each depend on every input bit.
__device__ __forceinline__ uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ uint64_t noiseStream(int64_t seed, int64_t step) {
    return mix(static_cast<uint64_t>(seed) + 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(step + 1));
}

__device__ __forceinline__ float gumbel(uint64_t stream, int v) {
    const uint64_t bits = mix(stream ^ (0xD1B54A32D192ED03ULL * static_cast<uint64_t>(v + 1)));
    const float u = (static_cast<float>(bits >> 40) + 0.5f) * (1.0f / 16777216.0f);  // (0, 1), 24 bits
    const float e = fmaxf(-logf(u), 1e-30f);                                          // Exp(1)
    return -logf(e);
}

__global__ void gumbelNoiseKernel(float* out, const int64_t* seeds, const int64_t* steps, int vocab) {
    const int row = blockIdx.x;  // rows on x: up to 2^31 - 1 of them (y stops at 65535)
    const int v = blockIdx.y * blockDim.x + threadIdx.x;
    if (v >= vocab) return;
    out[static_cast<int64_t>(row) * vocab + v] = gumbel(noiseStream(seeds[row], steps[row]), v);
}

// torch's argmax order: NaN above everything, then the larger value, then the lower index.
__device__ __forceinline__ bool before(float a, int ia, float b, int ib) {
    if (isnan(a) != isnan(b)) return isnan(a);
    if (a != b && !isnan(a)) return a > b;
    return ia < ib;
}

constexpr int kSampleThreads = 1024;

__global__ void __launch_bounds__(kSampleThreads) sampleTokensKernel(const float* __restrict__ logits,
                                                                     const int64_t* __restrict__ sequences,
                                                                     SamplingState state, bool processed, int vocab,
                                                                     int64_t* __restrict__ out) {
    const int row = blockIdx.x;
    const int64_t sequence = sequences[row];
    const float temperature = state.temperature[sequence], penalty = state.penalty[sequence];
    const bool sampled = temperature > 0;
    const uint64_t stream = noiseStream(state.seeds[sequence], state.steps[sequence]);
    const float* l = logits + static_cast<int64_t>(row) * vocab;
    const bool* seen = state.seen + sequence * vocab;
    float best = -INFINITY;
    int bestIndex = vocab;
    for (int v = threadIdx.x; v < vocab; v += kSampleThreads) {
        float x = l[v];
        if (!processed) {
            if (penalty != 1.f && seen[v]) x = x > 0 ? x / penalty : x * penalty;
            if (sampled) x = x / temperature;
        }
        if (sampled) x = x + gumbel(stream, v);
        if (before(x, v, best, bestIndex)) {
            best = x;
            bestIndex = v;
        }
    }
    for (int offset = 16; offset > 0; offset /= 2) {
        const float b = __shfl_down_sync(0xFFFFFFFFu, best, offset);
        const int bi = __shfl_down_sync(0xFFFFFFFFu, bestIndex, offset);
        if (before(b, bi, best, bestIndex)) {
            best = b;
            bestIndex = bi;
        }
    }
    __shared__ float warpBest[kSampleThreads / 32];
    __shared__ int warpIndex[kSampleThreads / 32];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    if (lane == 0) {
        warpBest[warp] = best;
        warpIndex[warp] = bestIndex;
    }
    __syncthreads();
    if (threadIdx.x != 0) return;
    for (int w = 1; w < kSampleThreads / 32; ++w) {
        if (before(warpBest[w], warpIndex[w], best, bestIndex)) {
            best = warpBest[w];
            bestIndex = warpIndex[w];
        }
    }
    const int64_t token = bestIndex < vocab ? bestIndex : 0;  // every logit NaN-free and -inf: torch picks 0
    out[row] = token;
    state.seen[sequence * vocab + token] = true;
    state.steps[sequence] += 1;
    state.lastTokens[sequence] = token;
}

}  // namespace

cudaError_t gumbelNoise(float* out, const int64_t* seeds, const int64_t* steps, int n, int vocab, cudaStream_t stream) {
    if (n <= 0 || vocab <= 0) return cudaErrorInvalidValue;
    const int threads = 256;
    gumbelNoiseKernel<<<dim3(n, (vocab + threads - 1) / threads), threads, 0, stream>>>(out, seeds, steps, vocab);
    return cudaGetLastError();
}

cudaError_t sampleTokens(const float* logits, const int64_t* sequences, SamplingState state, bool processed, int n,
                         int vocab, int64_t* out, cudaStream_t stream) {
    if (n <= 0 || vocab <= 0) return cudaErrorInvalidValue;
    sampleTokensKernel<<<n, kSampleThreads, 0, stream>>>(logits, sequences, state, processed, vocab, out);
    return cudaGetLastError();
}

}  // namespace llmops::kernels
