// Token sampling on the device for a batch of sequences, so that only the chosen token ids cross to
// the host. Order and semantics follow Hugging Face's logits processors: repetition penalty,
// temperature, top-k, top-p; temperature <= 0 means greedy (argmax after the penalty). Draws use
// Gumbel noise keyed by (seed, step, token), so a sequence's tokens do not depend on its batch.
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

// Float logits [n, V] after each row's repetition penalty (seen: bool [n, V]), temperature, top-k
// and top-p (removed entries -inf). Greedy rows keep their penalized logits.
at::Tensor processLogits(const at::Tensor& logits, const at::Tensor& seen, const std::vector<SamplingParams>& rows);

// One token per row of processed logits [n, V]: argmax for greedy rows, else argmax(l + Gumbel noise
// keyed by (seeds[i], steps[i])) -- a draw from softmax(l). int64 [n] on the device.
at::Tensor chooseTokens(const at::Tensor& processed, const std::vector<SamplingParams>& rows,
                        const std::vector<int64_t>& seeds, const std::vector<int64_t>& steps);

// Keeps each sequence's sampling state on the device, so that a step's sampling is one kernel that
// waits for nothing on the host: the tokens stay on the device until the caller copies them out.
class DeviceSampler {
  public:
    DeviceSampler(int64_t sequences, int64_t vocab, const at::Device& device);
    // Sequence `sequence` starts over: the prompt's tokens count as seen for the repetition penalty.
    void reset(int64_t sequence, const SamplingParams& params, uint64_t seed, const std::vector<int64_t>& prompt);
    // Chooses the next token of sequences[i] from row i of float logits [n, V] (ids: the same
    // sequences as an int64 device tensor); marks them seen and writes each into lastTokens[sequence].
    // int64 [n] on the device; no host synchronization unless a row uses top-k or top-p.
    at::Tensor sampleOnDevice(const at::Tensor& logits, const std::vector<int64_t>& sequences, const at::Tensor& ids,
                              const at::Tensor& lastTokens);
    // model.batch_invariant: rows with top-k or top-p are processed one by one, as each would be alone
    // (torch's sort and cumsum may take another algorithm for one row than for several).
    void setBatchInvariant(bool on) { batchInvariant_ = on; }

  private:
    int64_t vocab_;
    at::Tensor seen_;                  // bool [sequences, V]
    at::Tensor temperature_, penalty_;  // float [sequences]; temperature 0 = greedy
    at::Tensor seeds_, steps_;         // int64 [sequences]
    std::vector<SamplingParams> params_;
    bool batchInvariant_ = false;
};

}  // namespace llmops
