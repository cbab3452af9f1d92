#include "device_sampler.h"

#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <ATen/CPUGeneratorImpl.h>

#include <limits>
#include <stdexcept>

namespace llmops {

at::Tensor processLogits(const at::Tensor& logits, const at::Tensor& seen, const SamplingParams& p) {
    at::Tensor l = logits.to(at::kFloat);
    if (p.repetitionPenalty != 1.0) {
        at::Tensor penalized = at::where(l > 0, l / p.repetitionPenalty, l * p.repetitionPenalty);
        l = at::where(seen, penalized, l);
    }
    if (p.temperature <= 0) return l;
    l = l / p.temperature;
    const double ninf = -std::numeric_limits<double>::infinity();
    if (p.topK > 0 && p.topK < l.size(0)) {
        at::Tensor kth = std::get<0>(l.topk(p.topK)).narrow(0, p.topK - 1, 1);
        l = l.masked_fill(l < kth, ninf);
    }
    if (p.topP < 1.0) {
        auto [sorted, order] = l.sort(/*dim=*/0, /*descending=*/true);
        at::Tensor probs = sorted.softmax(0);
        // Drop a token once the mass of the more likely ones reaches top_p (the first always stays).
        at::Tensor before = probs.cumsum(0) - probs;
        sorted = sorted.masked_fill(before >= p.topP, ninf);
        l = at::full_like(l, ninf).scatter(0, order, sorted);
    }
    return l;
}

void DeviceSampler::reset(const SamplingParams& params, uint64_t seed, const std::vector<int64_t>& prompt,
                          int64_t vocab, const at::Device& device) {
    if (params.repetitionPenalty <= 0) throw std::invalid_argument("repetitionPenalty must be > 0");
    if (params.topK < 0) throw std::invalid_argument("topK must be >= 0");
    if (!(params.topP > 0)) throw std::invalid_argument("topP must be > 0");
    params_ = params;
    seen_ = at::zeros({vocab}, at::TensorOptions().dtype(at::kBool).device(device));
    if (!prompt.empty()) {
        at::Tensor ids = at::tensor(prompt, at::kLong).to(device);
        seen_.index_fill_(0, ids, true);
    }
    generator_ = device.is_cuda() ? at::make_generator<at::CUDAGeneratorImpl>(device.index())
                                  : at::make_generator<at::CPUGeneratorImpl>();
    generator_.set_current_seed(seed);
}

int64_t DeviceSampler::sample(const at::Tensor& logits) {
    at::Tensor l = processLogits(logits, seen_, params_);
    at::Tensor token;
    if (params_.temperature <= 0) {
        token = l.argmax();
    } else {
        // argmax(p / E), E ~ Exp(1), picks index i with probability p_i.
        at::Tensor probs = l.softmax(0);
        at::Tensor noise = at::empty_like(probs).exponential_(1.0, generator_);
        token = (probs / noise).argmax();
    }
    seen_.index_fill_(0, token.view({1}), true);
    return token.item<int64_t>();
}

void DeviceSampler::record(int64_t token) {
    seen_.index_fill_(0, at::tensor({token}, at::kLong).to(seen_.device()), true);
}

}  // namespace llmops
