// OpenAI's `logprobs` computed on the device: from a step's raw logits -- before repetition penalty
// and temperature, the model's own distribution, as the host path's TokenLogprobs.of -- the sampled
// token's log_softmax and the `top` most likely tokens with theirs. Only the rows that ask are
// computed; they reach the host with the step's tokens through page-locked memory, so a row asking
// for them stays sampled on the device and launched ahead.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace llmops {

constexpr int64_t kMaxTopLogprobs = 20;  // OpenAI's largest (chat's top_logprobs)

// One row's log-probabilities, on the host.
struct TokenLogprobs {
    int64_t row = 0;  // in its step
    float logprob = 0;
    std::vector<int64_t> topTokens;  // most likely first (ties in torch's topk order)
    std::vector<float> topLogprobs;
};

// The log-probabilities of the rows of one step that asked, queued on the device and on their way to
// page-locked host memory. Read them once the stream has passed the step (its event, or a sync).
class StepLogprobs {
  public:
    StepLogprobs() = default;  // no row asked
    // Row rows[i] of logits [n, V] (any float type) took token tokens[rows[i]] (int64 [n], on the
    // device) and asks for tops[i] alternatives (0 to kMaxTopLogprobs). Queues the work and the copies
    // on the current stream and returns at once.
    StepLogprobs(const at::Tensor& logits, const at::Tensor& tokens, std::vector<int64_t> rows,
                 std::vector<int64_t> tops);
    std::vector<TokenLogprobs> toHost() const;

  private:
    std::vector<int64_t> rows_, tops_;
    at::Tensor values_;  // pinned float [r, 1 + K]: the chosen token's, then the top K's (K: the largest top)
    at::Tensor ids_;     // pinned int64 [r, K]
};

}  // namespace llmops
