// The 4-bit repack's two heavy steps as single passes on the device (the ATen chains they replace made
// int32 and int64 copies of every weight: ~20 GB of traffic for one gate_up of the 34B shape).
// Plain pointers and a stream; no torch here.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::kernels {

// GPTQ's qweight, `bits` values per 32 packed along K: out uint8 [packedRows * 32 / bits, n] with
// out[r][c] = bits (r % per) * bits .. of packed[r / per][c], per = 32 / bits. bits in {2, 4, 8}.
cudaError_t unpackRows(const int32_t* packed, int64_t packedRows, int64_t n, int bits, uint8_t* out,
                       cudaStream_t stream);

// int4_mma.h's layout from q uint8 [n, k] (values < 16, row-major): words int32 [n/8, k/128, 32, 4],
// word w of lane 4g + t in [j][b] holding q[8j + g][128b + 32t + 8w + o] in nibble
// 4 (o & 1) + 2 (o >> 2) + ((o >> 1) & 1) for o = 0..7. n % 8 == 0, k % 128 == 0.
cudaError_t packMmaWords(const uint8_t* q, int64_t n, int64_t k, int32_t* words, cudaStream_t stream);

// One word of that layout (index i of the [n/8, k/128, 32, 4] words), as the kernel computes it.
__host__ __device__ inline uint32_t mmaWord(const uint8_t* q, int64_t k, int64_t i) {
    const int64_t w = i & 3, lane = (i >> 2) & 31, kBlocks = k / 128;
    const int64_t b = (i >> 7) % kBlocks, j = (i >> 7) / kBlocks;
    const uint8_t* row = q + (8 * j + (lane >> 2)) * k + 128 * b + 32 * (lane & 3) + 8 * w;
    uint32_t word = 0;
    for (int o = 0; o < 8; ++o) {
        const int nibble = 4 * (o & 1) + 2 * (o >> 2) + ((o >> 1) & 1);
        word |= static_cast<uint32_t>(row[o] & 15) << (4 * nibble);
    }
    return word;
}

// The inverse, with int4_mma.h's (scale, zero) pairs applied: out bf16 [n, k] (row-major) with
// out[r][c] = bf16((q[r][c] - 8) * scale + zero), the pair of group c / groupSize and column r, computed
// in float from fp16 pairs (halfPairs) or bf16 ones. Long prompts run their matmuls on it (cuBLAS).
cudaError_t dequantizeMmaWords(const int32_t* words, const void* scalesZeros, bool halfPairs, int64_t n, int64_t k,
                               int64_t groupSize, __nv_bfloat16* out, cudaStream_t stream);

}  // namespace llmops::kernels
