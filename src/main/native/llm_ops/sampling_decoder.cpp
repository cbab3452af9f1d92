#include "sampling_decoder.h"

#include "checks.h"

#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAStream.h>

#include <string>
#include <utility>

namespace llmops {

SamplingDecoder::Launched::Launched(at::Tensor t) : tokens(std::move(t)) {
    checkCuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreate");
}

SamplingDecoder::Launched::Launched(Launched&& o) noexcept
    : tokens(std::move(o.tokens)), logprobs(std::move(o.logprobs)), done(std::exchange(o.done, nullptr)) {}

SamplingDecoder::Launched::~Launched() {
    if (done != nullptr) cudaEventDestroy(done);
}

SamplingDecoder::SamplingDecoder(LlamaDecoder d, int64_t vocab)
    : decoder(std::move(d)), sampler(decoder.sequences(), vocab, decoder.device()), logprobsTop_(decoder.sequences(), -1) {}

SamplingDecoder::~SamplingDecoder() {
    if (!launched_.empty()) c10::cuda::device_synchronize();  // the graphs about to go may still run
}

int64_t SamplingDecoder::prefillSample(int64_t sequence, const std::vector<int64_t>& prompt, const SamplingParams& params,
                                       uint64_t seed, int64_t logprobs) {
    decoder.checkSequence(sequence);
    require(logprobs >= -1 && logprobs <= kMaxTopLogprobs,
            "logprobs must be -1 (none) or from 0 to " + std::to_string(kMaxTopLogprobs));
    sampler.reset(sequence, params, seed, prompt);
    logprobsTop_[sequence] = logprobs;
    // The sampler's penalty sees the whole prompt; the decoder computes only the positions past those
    // the sequence's cache holds already (a cached prefix).
    const int64_t cached = decoder.position(sequence);
    require(cached < static_cast<int64_t>(prompt.size()), "the prompt must extend past the sequence's cached positions");
    const std::vector<int64_t> rest(prompt.begin() + cached, prompt.end());
    at::Tensor logits = decoder.prefill(sequence, rest).view({1, -1});
    at::Tensor ids = at::full({1}, sequence, at::TensorOptions().dtype(at::kLong).device(logits.device()));
    at::Tensor next = sampler.sampleOnDevice(logits, {sequence}, ids, decoder.lastTokens());
    decoder.markSampled({sequence});
    StepLogprobs asked = logprobsOf(logits, next, {sequence});
    const int64_t token = next.item<int64_t>();  // waits for the stream: the logprobs' copies ran too
    collectedLogprobs_ = asked.toHost();
    return token;
}

void SamplingDecoder::submit(const std::vector<int64_t>& sequences, const std::vector<int64_t>& tokens) {
    // Two in flight hide the host's turn; more would only delay what the host learns.
    require(launched_.size() < 2, "two decode steps are in flight already; collect one first");
    at::Tensor logits = decoder.decode(sequences, tokens);
    at::Tensor next = sampler.sampleOnDevice(logits, sequences, decoder.stepSequences(), decoder.lastTokens());
    decoder.markSampled(sequences);
    Launched step(at::empty({next.size(0)}, at::TensorOptions().dtype(at::kLong).pinned_memory(true)));
    step.tokens.copy_(next, /*non_blocking=*/true);
    step.logprobs = logprobsOf(logits, next, sequences);
    checkCuda(cudaEventRecord(step.done, c10::cuda::getCurrentCUDAStream(next.device().index()).stream()),
              "cudaEventRecord");
    launched_.push_back(std::move(step));
}

std::vector<int64_t> SamplingDecoder::collect() {
    require(!launched_.empty(), "no decode step to collect");
    Launched step = std::move(launched_.front());
    launched_.pop_front();
    checkCuda(cudaEventSynchronize(step.done), "cudaEventSynchronize");
    collectedLogprobs_ = step.logprobs.toHost();
    const int64_t* t = step.tokens.data_ptr<int64_t>();
    return std::vector<int64_t>(t, t + step.tokens.numel());
}

StepLogprobs SamplingDecoder::logprobsOf(const at::Tensor& logits, const at::Tensor& tokens,
                                         const std::vector<int64_t>& sequences) const {
    std::vector<int64_t> rows, tops;
    for (size_t i = 0; i < sequences.size(); ++i) {
        const int64_t top = logprobsTop_[sequences[i]];
        if (top < 0) continue;
        rows.push_back(static_cast<int64_t>(i));
        tops.push_back(top);
    }
    if (rows.empty()) return {};
    return StepLogprobs(logits, tokens, std::move(rows), std::move(tops));
}

void SamplingDecoder::setBatchInvariant(bool on) {
    decoder.setBatchInvariant(on);
    sampler.setBatchInvariant(on);
}

std::vector<int64_t> SamplingDecoder::step(const std::vector<int64_t>& sequences, const std::vector<int64_t>& tokens) {
    require(launched_.empty(), "decode steps are in flight; collect them first");
    submit(sequences, tokens);
    return collect();
}

}  // namespace llmops
