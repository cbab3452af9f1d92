// The whole Llama forward pass on the GPU with a static KV cache. A decode step reads only device
// tensors (token and position buffers updated in place), so it is captured once in a CUDA graph
// and replayed for every token. One sequence at a time (batch 1).
#pragma once

#include "int4_linear.h"

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAGraph.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace llmops {

struct LlamaDims {
    int64_t hidden, intermediate, layers, heads, kvHeads, headDim, vocab, maxPositions;
    double rmsEps, ropeTheta, ropeScale;
};

struct DecoderLayer {
    at::Tensor inputNorm, postNorm;  // bf16 [H]
    Linear qkv;                      // -> [q | k | v]
    Linear o;
    Linear gateUp;                   // -> [gate | up]
    Linear down;
};

class LlamaDecoder {
  public:
    // embed bf16 [V, H], finalNorm bf16 [H], lmHead bf16 [V, H] (may be embed), all on one device.
    LlamaDecoder(const LlamaDims& dims, at::Tensor embed, at::Tensor finalNorm, at::Tensor lmHead);

    void addLayer(DecoderLayer layer);
    // A new sequence of up to `capacity` positions. Grows the cache (and re-captures) when needed.
    void begin(int64_t capacity, bool useGraph);
    // Runs the prompt eagerly; float [V] logits of its last position (on the device).
    at::Tensor prefill(const std::vector<int64_t>& tokens);
    // Appends one token; float [V] logits. With the graph this is a static buffer, valid until the next call.
    at::Tensor decode(int64_t token);

    // Additive bf16 mask [1, 1, group * M, capacity]: row g * M + i sees the slots up to positions[i].
    at::Tensor attentionMask(const at::Tensor& positions) const;
    // One layer's attention (RoPE, cache write, SDPA) on qkv [M, (hq + 2 hkv) d] -> [M, hq d];
    // an undefined mask selects the decode kernel (M = 1, head_dim 128), whose output is already in
    // o_proj's act-order input order.
    at::Tensor attention(size_t layer, const at::Tensor& qkv, const at::Tensor& positions, const at::Tensor& mask);

    int64_t position() const { return position_; }
    int64_t capacity() const { return capacity_; }
    const LlamaDims& dims() const { return dims_; }
    const at::Device& device() const { return device_; }

  private:
    at::Tensor forward(const at::Tensor& tokens, const at::Tensor& positions);
    void allocateCache(int64_t capacity);
    void capture();

    LlamaDims dims_;
    at::Device device_;
    at::Tensor embed_, finalNorm_, lmHead_;
    at::Tensor cos_, sin_;  // f32 [maxPositions, D]
    std::vector<DecoderLayer> layers_;
    std::vector<at::Tensor> oScatter_;  // per layer: inverse of o_proj's input permutation, or undefined
    std::vector<at::Tensor> keys_, values_;  // bf16 [1, KvHeads, capacity, D]
    at::Tensor slots_;                        // int64 [capacity]: 0..capacity-1
    at::Tensor stepToken_, stepPosition_;     // int64 [1], the graph's inputs
    at::Tensor stepLogits_;                   // the graph's output
    std::unique_ptr<at::cuda::CUDAGraph> graph_;
    bool useGraph_ = false;
    int64_t capacity_ = 0;
    int64_t position_ = 0;
};

// Capacity rounded up so that the cache (and the attention mask's last dimension) stay aligned and
// a few sizes cover all sessions.
int64_t cacheCapacityFor(int64_t tokens);

}  // namespace llmops
