#include "int4_repack.h"

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

}  // namespace llmops::kernels
