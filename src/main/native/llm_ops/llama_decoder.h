// The whole Llama forward pass on the GPU with static KV caches for a fixed number of sequences. A
// decode step advances any subset of them together (continuous batching); it reads only device
// tensors (token, position and sequence buffers updated in place), so each batch-size bucket
// (1, 2, 4, 8, ...) is captured once in a CUDA graph and replayed.
#pragma once

#include "int4_linear.h"

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAGraph.h>

#include <cstdint>
#include <map>
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
    // `sequences` KV caches (slots) share the weights; a decode step runs any subset of them at once.
    LlamaDecoder(const LlamaDims& dims, at::Tensor embed, at::Tensor finalNorm, at::Tensor lmHead, int64_t sequences = 1);

    void addLayer(DecoderLayer layer);
    // CUDA graphs: the decode step of each batch-size bucket is captured once and replayed.
    void useGraphs(bool on);
    // model.batch_invariant: each row of a decode step is computed bit for bit as it would be alone,
    // whatever else the step holds (forward: every reduction in an order the step's rows do not
    // change). Off: one-row steps fold the norms and lm_head runs at the step's row count (faster).
    void setBatchInvariant(bool on);
    // Sequence `sequence` starts over with room for `capacity` positions. Grows every cache when
    // needed (copying what they hold; the graphs are captured again).
    void begin(int64_t sequence, int64_t capacity);
    // Runs a prompt eagerly; float [V] logits of its last position (on the device).
    at::Tensor prefill(int64_t sequence, const std::vector<int64_t>& tokens);
    // Appends tokens[i] to sequences[i] (distinct) in one step; float [n, V] logits. With graphs this
    // is a view of a static buffer, valid until the next call. A negative token stands for the one
    // the sampler last wrote into lastTokens() for that sequence (see markSampled), so a step can be
    // launched before the host has seen the previous step's tokens. Waits for nothing on the host.
    at::Tensor decode(const std::vector<int64_t>& sequences, const std::vector<int64_t>& tokens);
    // The last decode step's sequences, int64 [n] on the device (valid until the next step).
    const at::Tensor& stepSequences() const { return stepSequences_; }
    // int64 [sequences + 1] on the device: per sequence, the token its next step may read (negative token).
    const at::Tensor& lastTokens() const { return lastTokens_; }
    // The sampler has written these sequences' next tokens into lastTokens() (until their next begin()).
    void markSampled(const std::vector<int64_t>& sequences);

    // Additive bf16 mask [1, 1, group * M, capacity]: row g * M + i sees the slots up to positions[i].
    at::Tensor attentionMask(const at::Tensor& positions) const;
    // One layer's attention (RoPE, cache write, attention) on qkv [M, (hq + 2 hkv) d] -> [M, hq d].
    // A defined mask: M tokens of `prefillSequence` through SDPA. Else the decode kernel: row i is one
    // token of sequences[i], and the output is already in o_proj's act-order input order.
    at::Tensor attention(size_t layer, const at::Tensor& qkv, const at::Tensor& positions, const at::Tensor& sequences,
                         const at::Tensor& mask, int64_t prefillSequence = 0);

    // Throws std::invalid_argument unless 0 <= sequence < sequences().
    void checkSequence(int64_t sequence) const;
    int64_t sequences() const { return static_cast<int64_t>(positions_.size()); }
    int64_t capacity() const { return capacity_; }
    const LlamaDims& dims() const { return dims_; }
    const at::Device& device() const { return device_; }

  private:
    // The step of one batch-size bucket: static inputs (token, position, sequence per row; rows past
    // the batch point at the scratch sequence) and, once captured, its graph and output.
    struct Bucket {
        at::Tensor inputs;  // int64 [3, size]: tokens, positions, sequences
        at::Tensor logits;
        std::unique_ptr<at::cuda::CUDAGraph> graph;
    };

    at::Tensor forward(const at::Tensor& tokens, const at::Tensor& positions, const at::Tensor& sequences,
                       int64_t prefillSequence);
    void growCache(int64_t capacity);
    Bucket& bucketFor(int64_t n);
    void capture(Bucket& bucket);

    LlamaDims dims_;
    at::Device device_;
    at::Tensor embed_, finalNorm_, lmHead_;
    at::Tensor cos_, sin_;  // f32 [maxPositions, D]
    std::vector<DecoderLayer> layers_;
    // Per layer, the inverse of a matmul's act-order gather (undefined where it has none): the
    // producer of its input writes column c to scatter[c] (qkv, gateUp: [copies, H] for input copies).
    struct Scatters {
        at::Tensor qkv, o, gateUp;
    };
    std::vector<Scatters> scatters_;
    std::vector<at::Tensor> keys_, values_;  // bf16 [sequences + 1, KvHeads, capacity, D]; the last: scratch
    at::Tensor slots_;                       // int64 [capacity]: 0..capacity-1
    std::map<int64_t, Bucket> buckets_;
    std::vector<int64_t> positions_;         // per sequence: tokens in its cache
    std::vector<bool> sampled_;              // per sequence: lastTokens_ holds its next token
    at::Tensor lastTokens_, stepSequences_;
    bool useGraphs_ = false;
    bool batchInvariant_ = false;
    int64_t capacity_ = 0;
};

// Capacity rounded up so that the cache (and the attention mask's last dimension) stay aligned and
// a few sizes cover all sessions.
int64_t cacheCapacityFor(int64_t tokens);

}  // namespace llmops
