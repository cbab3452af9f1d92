// The decoder and its device sampler as one model: decode steps whose tokens are sampled on the
// device and reach the host through page-locked memory when the step's event fires. The host may
// launch the next step -- fed those tokens on the device -- before it reads them, so the GPU does not
// wait for the host's turn between steps (the JNI model, and fast_check's benches of it).
#pragma once

#include "device_sampler.h"
#include "llama_decoder.h"
#include "token_logprobs.h"

#include <ATen/ATen.h>
#include <cuda_runtime_api.h>

#include <cstdint>
#include <deque>
#include <vector>

namespace llmops {

class SamplingDecoder {
  public:
    SamplingDecoder(LlamaDecoder decoder, int64_t vocab);
    ~SamplingDecoder();
    SamplingDecoder(const SamplingDecoder&) = delete;
    SamplingDecoder& operator=(const SamplingDecoder&) = delete;

    // Runs the prompt of a sequence that begin() or setBlocks() opened (past the positions its cache holds
    // already) and samples its first token (waits for it).
    // logprobs: the top alternatives (0 to kMaxTopLogprobs) whose log-probabilities come with each of
    // the sequence's tokens, from here until its next prefillSample; -1: none.
    int64_t prefillSample(int64_t sequence, const std::vector<int64_t>& prompt, const SamplingParams& params,
                          uint64_t seed, int64_t logprobs = -1);
    // Launches one decode step (LlamaDecoder::decode: a negative token is the one the device sampled
    // for that sequence at its previous step) and its sampling; returns without waiting. At most two
    // steps in flight.
    void submit(const std::vector<int64_t>& sequences, const std::vector<int64_t>& tokens);
    // Waits for the oldest step in flight; its tokens, in its sequences' order.
    std::vector<int64_t> collect();
    // The log-probabilities of the tokens the last prefillSample or collect returned, for the rows
    // whose sequence asks for them (in row order).
    const std::vector<TokenLogprobs>& collectedLogprobs() const { return collectedLogprobs_; }
    // submit then collect, with nothing else in flight.
    std::vector<int64_t> step(const std::vector<int64_t>& sequences, const std::vector<int64_t>& tokens);
    size_t inFlight() const { return launched_.size(); }
    // model.batch_invariant for the decoder's steps and the sampler's processing (see both).
    void setBatchInvariant(bool on);

    LlamaDecoder decoder;
    DeviceSampler sampler;

  private:
    struct Launched {
        at::Tensor tokens;  // pinned int64 [n], filled by the step's copy
        StepLogprobs logprobs;
        cudaEvent_t done = nullptr;
        explicit Launched(at::Tensor t);
        Launched(Launched&& o) noexcept;
        Launched(const Launched&) = delete;
        Launched& operator=(const Launched&) = delete;
        ~Launched();
    };
    // The rows of a step whose sequences ask for logprobs, from its raw logits and sampled tokens.
    StepLogprobs logprobsOf(const at::Tensor& logits, const at::Tensor& tokens, const std::vector<int64_t>& sequences) const;

    std::deque<Launched> launched_;
    std::vector<int64_t> logprobsTop_;  // per sequence: its top alternatives, -1 when it asks for no logprobs
    std::vector<TokenLogprobs> collectedLogprobs_;
};

}  // namespace llmops
