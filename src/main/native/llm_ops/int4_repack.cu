#include "int4_repack.h"

#include <cuda_fp16.h>

namespace llmops::kernels {
namespace {

constexpr int kThreads = 256;

__global__ void unpackRowsKernel(const int32_t* __restrict__ packed, int64_t words, int64_t n, int bits,
                                 uint8_t* __restrict__ out) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
    if (i >= words) return;
    const int64_t row = i / n, column = i % n;
    const int per = 32 / bits;
    const uint32_t mask = (1u << bits) - 1, word = static_cast<uint32_t>(packed[i]);
    for (int j = 0; j < per; ++j) {
        out[(row * per + j) * n + column] = static_cast<uint8_t>((word >> (bits * j)) & mask);
    }
}

__global__ void packMmaWordsKernel(const uint8_t* __restrict__ q, int64_t words, int64_t k, int32_t* __restrict__ out) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
    if (i < words) out[i] = static_cast<int32_t>(mmaWord(q, k, i));
}

__device__ inline float2 toFloat2(__half2 p) { return __half22float2(p); }
__device__ inline float2 toFloat2(__nv_bfloat162 p) { return __bfloat1622float2(p); }

// One thread per word: its 8 values are 8 consecutive inputs of one row, written as one 16-byte store.
template <typename Pair>
__global__ void dequantizeMmaWordsKernel(const int32_t* __restrict__ words, const Pair* __restrict__ pairs,
                                         int64_t count, int64_t n, int64_t k, int64_t groupSize,
                                         __nv_bfloat16* __restrict__ out) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
    if (i >= count) return;
    const int64_t w = i & 3, lane = (i >> 2) & 31, kBlocks = k / 128;
    const int64_t b = (i >> 7) % kBlocks, j = (i >> 7) / kBlocks;
    const int64_t row = 8 * j + (lane >> 2), column = 128 * b + 32 * (lane & 3) + 8 * w;
    const float2 sz = toFloat2(pairs[(column / groupSize) * n + row]);
    const uint32_t word = static_cast<uint32_t>(words[i]);
    alignas(16) __nv_bfloat16 values[8];
    for (int o = 0; o < 8; ++o) {
        const int nibble = 4 * (o & 1) + 2 * (o >> 2) + ((o >> 1) & 1);
        const float q = static_cast<float>((word >> (4 * nibble)) & 15u);
        values[o] = __float2bfloat16((q - 8.f) * sz.x + sz.y);
    }
    *reinterpret_cast<uint4*>(out + row * k + column) = *reinterpret_cast<const uint4*>(values);
}

unsigned blocksFor(int64_t items) {
    return static_cast<unsigned>((items + kThreads - 1) / kThreads);
}

}  // namespace

cudaError_t unpackRows(const int32_t* packed, int64_t packedRows, int64_t n, int bits, uint8_t* out,
                       cudaStream_t stream) {
    if (bits != 2 && bits != 4 && bits != 8) return cudaErrorInvalidValue;
    const int64_t words = packedRows * n;
    if (words == 0) return cudaSuccess;
    unpackRowsKernel<<<blocksFor(words), kThreads, 0, stream>>>(packed, words, n, bits, out);
    return cudaGetLastError();
}

cudaError_t packMmaWords(const uint8_t* q, int64_t n, int64_t k, int32_t* words, cudaStream_t stream) {
    if (n % 8 != 0 || k % 128 != 0) return cudaErrorInvalidValue;
    const int64_t count = n * k / 8;
    if (count == 0) return cudaSuccess;
    packMmaWordsKernel<<<blocksFor(count), kThreads, 0, stream>>>(q, count, k, words);
    return cudaGetLastError();
}

cudaError_t dequantizeMmaWords(const int32_t* words, const void* scalesZeros, bool halfPairs, int64_t n, int64_t k,
                               int64_t groupSize, __nv_bfloat16* out, cudaStream_t stream) {
    if (n % 8 != 0 || k % 128 != 0 || groupSize <= 0 || k % groupSize != 0) return cudaErrorInvalidValue;
    const int64_t count = n * k / 8;
    if (count == 0) return cudaSuccess;
    if (halfPairs) {
        dequantizeMmaWordsKernel<<<blocksFor(count), kThreads, 0, stream>>>(
            words, static_cast<const __half2*>(scalesZeros), count, n, k, groupSize, out);
    } else {
        dequantizeMmaWordsKernel<<<blocksFor(count), kThreads, 0, stream>>>(
            words, static_cast<const __nv_bfloat162*>(scalesZeros), count, n, k, groupSize, out);
    }
    return cudaGetLastError();
}

}  // namespace llmops::kernels
