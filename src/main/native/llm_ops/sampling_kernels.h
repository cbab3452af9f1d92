// Random numbers for sampling on the device that depend only on (seed, step, token): a sequence
// draws the same tokens whatever it is batched with. Plain pointers and a stream; no torch here.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::kernels {

// out[i][v] = Gumbel(0, 1) noise, a hash of (seeds[i], steps[i], v). Rows n, width vocab.
cudaError_t gumbelNoise(float* out, const int64_t* seeds, const int64_t* steps, int n, int vocab, cudaStream_t stream);

}  // namespace llmops::kernels
