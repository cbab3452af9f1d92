// Token sampling on the device, so that only the chosen token id crosses to the host.
// Order and semantics follow Hugging Face's logits processors: repetition penalty, temperature,
// top-k, top-p; temperature <= 0 means greedy (argmax after the penalty).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace llmops {

struct SamplingParams {
    double temperature = 0.0;
    int64_t topK = 0;               // 0 or >= vocab: off
    double topP = 1.0;              // >= 1: off
    double repetitionPenalty = 1.0; // 1: off
};

// Logits after the repetition penalty, temperature, top-k and top-p (removed entries -inf).
at::Tensor processLogits(const at::Tensor& logits, const at::Tensor& seen, const SamplingParams& p);

class DeviceSampler {
  public:
    // New sequence: the prompt's tokens count as seen for the repetition penalty.
    void reset(const SamplingParams& params, uint64_t seed, const std::vector<int64_t>& prompt,
               int64_t vocab, const at::Device& device);
    // Chooses the next token from float logits [V] and marks it seen.
    int64_t sample(const at::Tensor& logits);
    // Marks a token chosen elsewhere (the host path) as seen.
    void record(int64_t token);

  private:
    SamplingParams params_;
    at::Tensor seen_;  // bool [V]
    at::Generator generator_;
};

}  // namespace llmops
