// The read bandwidth a plain streaming kernel reaches over a buffer: the ceiling the int4 matmul
// is measured against in fast_check's kernel lab.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::lab {

cudaError_t streamRead(const void* data, int64_t bytes, unsigned int* out, int blocksPerSm, cudaStream_t stream);

}  // namespace llmops::lab
