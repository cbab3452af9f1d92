#include "llama_decoder.h"

#include "fused_ops.h"

#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <limits>
#include <stdexcept>
#include <string>

namespace llmops {
namespace {

void require(bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument(message);
}

}  // namespace

int64_t cacheCapacityFor(int64_t tokens) {
    const int64_t step = 256;
    return (tokens + step - 1) / step * step;
}

LlamaDecoder::LlamaDecoder(const LlamaDims& dims, at::Tensor embed, at::Tensor finalNorm, at::Tensor lmHead)
    : dims_(dims), device_(embed.device()) {
    require(dims.heads % dims.kvHeads == 0, "num_attention_heads must be a multiple of num_key_value_heads");
    require(embed.dim() == 2 && embed.size(0) == dims.vocab && embed.size(1) == dims.hidden,
            "embed_tokens must be [vocab, hidden]");
    require(lmHead.dim() == 2 && lmHead.size(0) == dims.vocab && lmHead.size(1) == dims.hidden,
            "lm_head must be [vocab, hidden]");
    embed_ = embed.to(at::kBFloat16).contiguous();
    finalNorm_ = finalNorm.to(at::kBFloat16);
    lmHead_ = lmHead.to(at::kBFloat16).contiguous();

    // Same arithmetic as HF's default rope: inv_freq and the angles in float32.
    auto f32 = at::TensorOptions().dtype(at::kFloat).device(device_);
    at::Tensor exponents = at::arange(0, dims.headDim, 2, f32) / static_cast<double>(dims.headDim);
    at::Tensor invFreq = 1.0 / at::pow(dims.ropeTheta, exponents);
    at::Tensor t = at::arange(dims.maxPositions, f32) / dims.ropeScale;
    at::Tensor freqs = at::outer(t, invFreq);
    at::Tensor angles = at::cat({freqs, freqs}, -1);
    cos_ = angles.cos();
    sin_ = angles.sin();
}

void LlamaDecoder::addLayer(DecoderLayer layer) {
    layer.inputNorm = layer.inputNorm.to(at::kBFloat16);
    layer.postNorm = layer.postNorm.to(at::kBFloat16);
    at::Tensor perm = layer.o.inputPermutation();
    at::Tensor scatter;
    if (perm.defined()) {
        scatter = at::empty_like(perm);
        scatter.index_put_({perm}, at::arange(perm.numel(), perm.options()));
    }
    oScatter_.push_back(scatter);
    layers_.push_back(std::move(layer));
    graph_.reset();
}

void LlamaDecoder::allocateCache(int64_t capacity) {
    graph_.reset();
    keys_.clear();
    values_.clear();
    auto bf16 = at::TensorOptions().dtype(at::kBFloat16).device(device_);
    for (size_t i = 0; i < layers_.size(); ++i) {
        // Zeros: masked slots must hold finite values (0 * NaN would poison the attention output).
        keys_.push_back(at::zeros({1, dims_.kvHeads, capacity, dims_.headDim}, bf16));
        values_.push_back(at::zeros({1, dims_.kvHeads, capacity, dims_.headDim}, bf16));
    }
    auto i64 = at::TensorOptions().dtype(at::kLong).device(device_);
    slots_ = at::arange(capacity, i64);
    stepToken_ = at::zeros({1}, i64);
    stepPosition_ = at::zeros({1}, i64);
    capacity_ = capacity;
}

void LlamaDecoder::begin(int64_t capacity, bool useGraph) {
    require(static_cast<int64_t>(layers_.size()) == dims_.layers, "not all layers were added");
    require(capacity > 0 && capacity <= dims_.maxPositions,
            "maxTokens must be in [1, max_position_embeddings=" + std::to_string(dims_.maxPositions) + "]");
    require(!useGraph || device_.is_cuda(), "CUDA graphs need a CUDA device");
    const int64_t rounded = std::min(cacheCapacityFor(capacity), dims_.maxPositions);
    if (rounded > capacity_) allocateCache(rounded);
    useGraph_ = useGraph;
    position_ = 0;
}

at::Tensor LlamaDecoder::attentionMask(const at::Tensor& positions) const {
    const int64_t group = dims_.heads / dims_.kvHeads, m = positions.size(0);
    at::Tensor hidden = slots_.unsqueeze(0) > positions.repeat({group}).unsqueeze(1);
    return at::zeros({group * m, capacity_}, embed_.options())
        .masked_fill_(hidden, -std::numeric_limits<float>::infinity())
        .view({1, 1, group * m, capacity_});
}

at::Tensor LlamaDecoder::attention(size_t layer, const at::Tensor& qkv, const at::Tensor& positions,
                                   const at::Tensor& mask) {
    const int64_t m = qkv.size(0), d = dims_.headDim, hq = dims_.heads, hkv = dims_.kvHeads;
    // GQA without copying the cache: the query heads of one KV head become rows (g * M + i).
    at::Tensor q = ropeAndCacheWrite(qkv, positions, cos_, sin_, keys_[layer], values_[layer], hq, hkv);
    if (!mask.defined()) return decodeAttention(q, keys_[layer], values_[layer], positions, hq, oScatter_[layer]);
    at::Tensor out = at::scaled_dot_product_attention(q, keys_[layer], values_[layer], mask);
    return out.reshape({hkv, hq / hkv, m, d}).permute({2, 0, 1, 3}).reshape({m, hq * d});
}

at::Tensor LlamaDecoder::forward(const at::Tensor& tokens, const at::Tensor& positions) {
    const double eps = dims_.rmsEps;
    at::Tensor x = embed_.index_select(0, tokens);  // the residual stream, updated in place
    // One new token with head_dim 128: our decode kernel, no mask; else SDPA with the mask.
    const bool decodeKernel = tokens.size(0) == 1 && dims_.headDim == 128;
    at::Tensor mask = decodeKernel ? at::Tensor() : attentionMask(positions);
    at::Tensor delta;                               // the last layer's down_proj output, not yet added
    for (size_t i = 0; i < layers_.size(); ++i) {
        const DecoderLayer& l = layers_[i];
        // Act-order gathers ride on the kernels that produce each input (single-part linears).
        at::Tensor permQkv = l.qkv.inputPermutation();
        at::Tensor h = addRmsNorm(x, delta, l.inputNorm, eps, permQkv);
        at::Tensor qkv = permQkv.defined() ? l.qkv.forwardPermuted(h) : l.qkv.forward(h);
        at::Tensor attn = attention(i, qkv, positions, mask);
        const bool oGathered = decodeKernel && l.o.inputPermutation().defined();
        at::Tensor o = oGathered ? l.o.forwardPermuted(attn) : l.o.forward(attn);
        at::Tensor permGateUp = l.gateUp.inputPermutation();
        h = addRmsNorm(x, o, l.postNorm, eps, permGateUp);
        at::Tensor gateUp = permGateUp.defined() ? l.gateUp.forwardPermuted(h) : l.gateUp.forward(h);
        at::Tensor permDown = l.down.inputPermutation();
        at::Tensor act = siluMul(gateUp, permDown);
        delta = permDown.defined() ? l.down.forwardPermuted(act) : l.down.forward(act);
    }
    at::Tensor last = addRmsNorm(x, delta, finalNorm_, eps, at::Tensor()).narrow(0, x.size(0) - 1, 1);
    return at::matmul(last, lmHead_.t()).to(at::kFloat).view({dims_.vocab});
}

at::Tensor LlamaDecoder::prefill(const std::vector<int64_t>& tokens) {
    require(capacity_ > 0, "begin() must come before prefill");
    require(position_ == 0, "prefill runs once, first");
    require(!tokens.empty(), "the prompt must hold at least one token");
    require(static_cast<int64_t>(tokens.size()) <= capacity_, "the prompt is longer than the session's maxTokens");
    auto i64 = at::TensorOptions().dtype(at::kLong).device(device_);
    at::Tensor ids = at::tensor(tokens, at::kLong).to(device_);
    require(ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < dims_.vocab, "token id outside the vocabulary");
    at::Tensor positions = at::arange(static_cast<int64_t>(tokens.size()), i64);
    at::Tensor logits = forward(ids, positions);
    position_ = static_cast<int64_t>(tokens.size());
    return logits;
}

void LlamaDecoder::capture() {
    c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(false, device_.index());
    c10::cuda::device_synchronize();
    {
        c10::cuda::CUDAStreamGuard guard(side);
        // Warm-up on the real step inputs: it rewrites the same cache slot with the same values.
        for (int i = 0; i < 2; ++i) forward(stepToken_, stepPosition_);
        side.synchronize();
        graph_ = std::make_unique<at::cuda::CUDAGraph>();
        graph_->capture_begin();
        stepLogits_ = forward(stepToken_, stepPosition_);
        graph_->capture_end();
    }
    c10::cuda::device_synchronize();
}

at::Tensor LlamaDecoder::decode(int64_t token) {
    require(capacity_ > 0 && position_ > 0, "prefill must come before decode");
    require(position_ < capacity_, "the session's maxTokens is used up");
    require(token >= 0 && token < dims_.vocab, "token id outside the vocabulary");
    stepToken_.fill_(token);
    stepPosition_.fill_(position_);
    at::Tensor logits;
    if (useGraph_) {
        if (!graph_) capture();
        graph_->replay();
        logits = stepLogits_;
    } else {
        logits = forward(stepToken_, stepPosition_);
    }
    ++position_;
    return logits;
}

}  // namespace llmops
