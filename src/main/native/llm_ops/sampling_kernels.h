// Random numbers for sampling on the device that depend only on (seed, step, token): a sequence
// draws the same tokens whatever it is batched with. Plain pointers and a stream; no torch here.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::kernels {

// out[i][v] = Gumbel(0, 1) noise, a hash of (seeds[i], steps[i], v). Rows n, width vocab.
cudaError_t gumbelNoise(float* out, const int64_t* seeds, const int64_t* steps, int n, int vocab, cudaStream_t stream);

// Per-sequence sampling state on the device, indexed by sequence: temperature (<= 0: greedy),
// repetition penalty, seed, the step counter of the noise, the tokens seen [sequences, vocab], and
// the last token chosen (the next decode step may read it instead of a token from the host).
struct SamplingState {
    const float* temperature;
    const float* penalty;
    const int64_t* seeds;
    int64_t* steps;
    bool* seen;
    int64_t* lastTokens;
};

// One token per row of float logits [n, vocab], row i belonging to sequence sequences[i]: the
// repetition penalty and temperature (unless `processed`: the logits already had them and top-k /
// top-p), then argmax for greedy rows, else argmax(l + gumbelNoise(seed, step)). The same float
// operations as processLogits and chooseTokens, so the same tokens (ties: the lowest id). Writes
// out[i], marks the token seen, advances the step and sets lastTokens[sequence].
cudaError_t sampleTokens(const float* logits, const int64_t* sequences, SamplingState state, bool processed, int n,
                         int vocab, int64_t* out, cudaStream_t stream);

}  // namespace llmops::kernels
