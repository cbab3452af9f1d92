#include "device_sampler.h"

#include "checks.h"

#include "host_upload.h"
#include "sampling_kernels.h"

#include <c10/cuda/CUDAStream.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace llmops {
namespace {

bool samples(const SamplingParams& p) { return p.temperature > 0; }

}  // namespace

at::Tensor processLogits(const at::Tensor& logits, const at::Tensor& seen, const std::vector<SamplingParams>& rows) {
    const int64_t n = logits.size(0), v = logits.size(1);
    require(static_cast<int64_t>(rows.size()) == n, "one SamplingParams per logits row");
    // Per row: penalty, temperature, k (v = off), p (inf = off); greedy rows leave out the last three.
    std::vector<float> table(n * 4);
    bool penalty = false, topK = false, topP = false;
    for (int64_t i = 0; i < n; ++i) {
        const SamplingParams& p = rows[i];
        const bool k = samples(p) && p.topK > 0 && p.topK < v, q = samples(p) && p.topP < 1.0;
        penalty |= p.repetitionPenalty != 1.0;
        topK |= k;
        topP |= q;
        table[4 * i] = static_cast<float>(p.repetitionPenalty);
        table[4 * i + 1] = samples(p) ? static_cast<float>(p.temperature) : 1.f;
        table[4 * i + 2] = static_cast<float>(k ? p.topK : v);
        table[4 * i + 3] = q ? static_cast<float>(p.topP) : std::numeric_limits<float>::infinity();
    }
    at::Tensor t = pinnedHostCopy(table).to(logits.device(), at::kFloat, /*non_blocking=*/true).view({n, 4});
    at::Tensor l = logits.to(at::kFloat);
    if (penalty) {
        at::Tensor pen = t.narrow(1, 0, 1);
        l = at::where(seen, at::where(l > 0, l / pen, l * pen), l);
    }
    l = l / t.narrow(1, 1, 1);
    if (!topK && !topP) return l;
    const double ninf = -std::numeric_limits<double>::infinity();
    auto [sorted, order] = l.sort(/*dim=*/1, /*descending=*/true);
    if (topK) {
        at::Tensor kth = sorted.gather(1, t.narrow(1, 2, 1).to(at::kLong) - 1);
        sorted = sorted.masked_fill(sorted < kth, ninf);
    }
    if (topP) {
        // Drop a token once the mass of the more likely ones reaches top_p (the first always stays).
        at::Tensor probs = sorted.softmax(1);
        at::Tensor before = probs.cumsum(1) - probs;
        sorted = sorted.masked_fill(before >= t.narrow(1, 3, 1), ninf);
    }
    return at::full_like(l, ninf).scatter(1, order, sorted);
}

at::Tensor chooseTokens(const at::Tensor& processed, const std::vector<SamplingParams>& rows,
                        const std::vector<int64_t>& seeds, const std::vector<int64_t>& steps) {
    const int64_t n = processed.size(0), v = processed.size(1);
    require(static_cast<int64_t>(rows.size()) == n && static_cast<int64_t>(seeds.size()) == n &&
                static_cast<int64_t>(steps.size()) == n, "one params, seed and step per row");
    std::vector<uint8_t> greedyRows(n);
    bool anyGreedy = false, anySampled = false;
    for (int64_t i = 0; i < n; ++i) {
        greedyRows[i] = !samples(rows[i]);
        anyGreedy |= greedyRows[i] != 0;
        anySampled |= greedyRows[i] == 0;
    }
    at::Tensor greedy = anyGreedy ? processed.argmax(1) : at::Tensor();
    if (!anySampled) return greedy;
    std::vector<int64_t> keys(seeds);
    keys.insert(keys.end(), steps.begin(), steps.end());
    at::Tensor keysOnDevice = at::tensor(keys, at::kLong).to(processed.device());
    at::Tensor noise = at::empty({n, v}, processed.options().dtype(at::kFloat));
    const cudaError_t e = kernels::gumbelNoise(noise.data_ptr<float>(), keysOnDevice.data_ptr<int64_t>(),
                                               keysOnDevice.data_ptr<int64_t>() + n, static_cast<int>(n),
                                               static_cast<int>(v),
                                               c10::cuda::getCurrentCUDAStream(processed.device().index()).stream());
    if (e != cudaSuccess) throw std::runtime_error(std::string("gumbelNoise: ") + cudaGetErrorString(e));
    at::Tensor sampled = (processed + noise).argmax(1);
    if (!anyGreedy) return sampled;
    at::Tensor mask = at::tensor(greedyRows).to(processed.device()).to(at::kBool);
    return at::where(mask, greedy, sampled);
}

DeviceSampler::DeviceSampler(int64_t sequences, int64_t vocab, const at::Device& device)
    : vocab_(vocab),
      seen_(at::zeros({sequences, vocab}, at::TensorOptions().dtype(at::kBool).device(device))),
      temperature_(at::zeros({sequences}, at::TensorOptions().dtype(at::kFloat).device(device))),
      penalty_(at::ones({sequences}, at::TensorOptions().dtype(at::kFloat).device(device))),
      seeds_(at::zeros({sequences}, at::TensorOptions().dtype(at::kLong).device(device))),
      steps_(at::zeros({sequences}, at::TensorOptions().dtype(at::kLong).device(device))),
      params_(sequences) {}

void DeviceSampler::reset(int64_t sequence, const SamplingParams& params, uint64_t seed,
                          const std::vector<int64_t>& prompt) {
    require(sequence >= 0 && sequence < seen_.size(0), "sequence out of range");
    require(params.repetitionPenalty > 0, "repetitionPenalty must be > 0");
    require(params.topK >= 0, "topK must be >= 0");
    require(params.topP > 0, "topP must be > 0");
    params_[sequence] = params;
    // The same float values processLogits builds its table from.
    temperature_[sequence].fill_(samples(params) ? static_cast<float>(params.temperature) : 0.f);
    penalty_[sequence].fill_(static_cast<float>(params.repetitionPenalty));
    seeds_[sequence].fill_(static_cast<int64_t>(seed));
    steps_[sequence].fill_(0);
    at::Tensor row = seen_[sequence];
    row.zero_();
    if (!prompt.empty()) row.index_fill_(0, at::tensor(prompt, at::kLong).to(seen_.device()), true);
}

at::Tensor DeviceSampler::sampleOnDevice(const at::Tensor& logits, const std::vector<int64_t>& sequences,
                                         const at::Tensor& ids, const at::Tensor& lastTokens) {
    const int64_t n = static_cast<int64_t>(sequences.size());
    require(logits.dim() == 2 && logits.size(0) == n && logits.size(1) == vocab_, "logits must be [sequences, vocab]");
    require(ids.numel() == n && ids.scalar_type() == at::kLong, "ids must be int64 [n]");
    require(lastTokens.numel() >= seen_.size(0) && lastTokens.scalar_type() == at::kLong,
            "lastTokens must be int64 with a slot per sequence");
    std::vector<SamplingParams> rows;
    bool truncates = false;  // top-k or top-p somewhere: processLogits' sort first
    for (int64_t s : sequences) {
        require(s >= 0 && s < seen_.size(0), "sequence out of range");
        const SamplingParams& p = params_[s];
        truncates |= samples(p) && ((p.topK > 0 && p.topK < vocab_) || p.topP < 1.0);
        rows.push_back(p);
    }
    at::Tensor l = logits.to(at::kFloat).contiguous();
    if (truncates && batchInvariant_ && n > 1) {
        std::vector<at::Tensor> processed;
        for (int64_t i = 0; i < n; ++i)
            processed.push_back(processLogits(l.narrow(0, i, 1), seen_.index_select(0, ids.narrow(0, i, 1)), {rows[i]}));
        l = at::cat(processed).contiguous();
    } else if (truncates) {
        l = processLogits(l, seen_.index_select(0, ids), rows).contiguous();
    }
    at::Tensor tokens = at::empty({n}, ids.options());
    const at::Tensor rowsOf = ids.contiguous();
    const kernels::SamplingState state{temperature_.data_ptr<float>(), penalty_.data_ptr<float>(),
                                       seeds_.data_ptr<int64_t>(),      steps_.data_ptr<int64_t>(),
                                       seen_.data_ptr<bool>(),          lastTokens.data_ptr<int64_t>()};
    checkCuda(kernels::sampleTokens(l.data_ptr<float>(), rowsOf.data_ptr<int64_t>(), state, truncates,
                                    static_cast<int>(n), static_cast<int>(vocab_), tokens.data_ptr<int64_t>(),
                                    c10::cuda::getCurrentCUDAStream(logits.device().index()).stream()),
              "sampleTokens");
    return tokens;
}

}  // namespace llmops
