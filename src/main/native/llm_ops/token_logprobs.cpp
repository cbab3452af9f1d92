#include "token_logprobs.h"

#include "checks.h"
#include "host_upload.h"

#include <algorithm>
#include <string>
#include <utility>

namespace llmops {
namespace {

at::Tensor pinnedLike(const at::Tensor& t) {
    return at::empty(t.sizes(), at::TensorOptions().dtype(t.scalar_type()).pinned_memory(true));
}

}  // namespace

StepLogprobs::StepLogprobs(const at::Tensor& logits, const at::Tensor& tokens, std::vector<int64_t> rows,
                           std::vector<int64_t> tops)
    : rows_(std::move(rows)), tops_(std::move(tops)) {
    require(rows_.size() == tops_.size(), "one top count per row asking for logprobs");
    if (rows_.empty()) return;
    require(logits.dim() == 2 && tokens.dim() == 1 && tokens.size(0) == logits.size(0),
            "logits must be [n, vocab] and tokens [n]");
    for (size_t i = 0; i < rows_.size(); ++i) {
        require(rows_[i] >= 0 && rows_[i] < logits.size(0), "logprobs row out of range");
        require(tops_[i] >= 0 && tops_[i] <= std::min(kMaxTopLogprobs, logits.size(1)),
                "top logprobs must be from 0 to " + std::to_string(kMaxTopLogprobs));
    }
    at::Tensor l = logits.to(at::kFloat), chosenIds = tokens;
    if (static_cast<int64_t>(rows_.size()) != logits.size(0)) {
        at::Tensor index = pinnedHostCopy(rows_).to(logits.device(), /*non_blocking=*/true);
        l = l.index_select(0, index);
        chosenIds = tokens.index_select(0, index);
    }
    at::Tensor logp = at::log_softmax(l, /*dim=*/1);
    at::Tensor values = logp.gather(1, chosenIds.view({-1, 1}));
    const int64_t k = *std::max_element(tops_.begin(), tops_.end());
    if (k > 0) {
        auto [topValues, topIds] = logp.topk(k, /*dim=*/1, /*largest=*/true, /*sorted=*/true);
        values = at::cat({values, topValues}, 1);
        ids_ = pinnedLike(topIds);
        ids_.copy_(topIds, /*non_blocking=*/true);
    }
    values_ = pinnedLike(values);
    values_.copy_(values, /*non_blocking=*/true);
}

std::vector<TokenLogprobs> StepLogprobs::toHost() const {
    std::vector<TokenLogprobs> out;
    if (rows_.empty()) return out;
    const int64_t width = values_.size(1);
    const float* v = values_.data_ptr<float>();
    const int64_t* ids = ids_.defined() ? ids_.data_ptr<int64_t>() : nullptr;
    for (size_t i = 0; i < rows_.size(); ++i) {
        const float* row = v + static_cast<int64_t>(i) * width;
        TokenLogprobs t;
        t.row = rows_[i];
        t.logprob = row[0];
        t.topLogprobs.assign(row + 1, row + 1 + tops_[i]);
        if (tops_[i] > 0) {
            const int64_t* rowIds = ids + static_cast<int64_t>(i) * (width - 1);
            t.topTokens.assign(rowIds, rowIds + tops_[i]);
        }
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace llmops
