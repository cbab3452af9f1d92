// The whole Llama forward pass on the GPU with KV caches for a fixed number of sequences (contiguous
// per sequence, or one paged pool read through block tables). A
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
    // Paged KV cache (docs/fast-path.md, "Paged KV cache"): per layer one pool of `blocks` blocks of
    // `blockSize` positions (a power of two), plus a scratch block that padding rows write to; each
    // sequence reads and writes its positions through its row of a block table (setBlocks). Call once,
    // before any sequence starts; without it every sequence has a contiguous cache (begin).
    void usePagedCache(int64_t blocks, int64_t blockSize);
    bool paged() const { return blockSize_ > 0; }
    // Contiguous caches: sequence `sequence` starts over with room for `capacity` positions. Grows
    // every cache when needed (copying what they hold; the graphs are captured again).
    void begin(int64_t sequence, int64_t capacity);
    // Paged cache: sequence `sequence` now owns `blocks` (pool block ids, in position order) and its
    // first `cachedTokens` positions already hold their KV there (a cached prefix, or the positions it
    // had before its table grew): its next token goes to position cachedTokens. The table row is
    // updated in place on the current stream, so captured graphs stay valid.
    void setBlocks(int64_t sequence, const std::vector<int64_t>& blocks, int64_t cachedTokens);
    // Paged cache: the sequence's table grew (its old ids first, unchanged); its position and the token
    // the device sampled for it (a step may be in flight) stay.
    void growBlocks(int64_t sequence, const std::vector<int64_t>& blocks);
    // Runs tokens eagerly at the sequence's next positions (the prompt, the part of it past a cached
    // prefix, or a chunk of it); float [V] logits of the last (on the device).
    at::Tensor prefill(int64_t sequence, const std::vector<int64_t>& tokens);
    // Tokens in the sequence's cache.
    int64_t position(int64_t sequence) const { return positions_.at(sequence); }
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

    // Additive bf16 mask [1, 1, group * M, slots]: row g * M + i sees the slots up to positions[i].
    at::Tensor attentionMask(const at::Tensor& positions, int64_t slots) const;
    // One layer's attention (RoPE, cache write, attention) on qkv [M, (hq + 2 hkv) d] -> [M, hq d].
    // Sequences defined: the decode kernel, row i one token of sequences[i], the output already in
    // o_proj's act-order input order. Else M tokens of `prefillSequence` through SDPA: over a defined
    // mask (a prompt after cached positions), or causal over positions 0 to M - 1 (flash attention).
    at::Tensor attention(size_t layer, const at::Tensor& qkv, const at::Tensor& positions, const at::Tensor& sequences,
                         const at::Tensor& mask, int64_t prefillSequence = 0);

    // Throws std::invalid_argument unless 0 <= sequence < sequences().
    void checkSequence(int64_t sequence) const;
    int64_t sequences() const { return static_cast<int64_t>(positions_.size()); }
    // Contiguous: every cache's capacity. Paged: the positions a table row can address.
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

    // Decode (sequences defined) or prefill of prefillSequence from position prefillStart (0: causal;
    // else over a mask of prefillSlots slots).
    at::Tensor forward(const at::Tensor& tokens, const at::Tensor& positions, const at::Tensor& sequences,
                       int64_t prefillSequence, int64_t prefillStart, int64_t prefillSlots);
    void growCache(int64_t capacity);
    // Paged prefill: one layer's K or V of `sequence`'s first `slots` positions, gathered from the pool
    // through its table row: [1, hkv, slots, d] (slots a multiple of the block size).
    void writeTableRow(int64_t sequence, const std::vector<int64_t>& blocks);
    at::Tensor gatherBlocks(const at::Tensor& pool, int64_t sequence, int64_t slots) const;
    // The largest position the sequence may write: its cache's capacity or its blocks' positions.
    int64_t roomOf(int64_t sequence) const;
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
    // Contiguous: bf16 [sequences + 1, KvHeads, capacity, D], the last sequence a scratch for padding
    // rows. Paged: bf16 [blocks + 1, KvHeads, blockSize, D], the last block the scratch.
    std::vector<at::Tensor> keys_, values_;
    at::Tensor slots_;                       // int64 [capacity]: 0..capacity-1 (paged: maxBlocks * blockSize)
    // Paged: int32 [sequences + 1, maxBlocks], per sequence its blocks then the scratch block; the
    // last row (the scratch sequence of padding rows) all scratch.
    at::Tensor blockTable_;
    int64_t kvBlocks_ = 0, blockSize_ = 0, maxBlocks_ = 0;
    std::vector<int64_t> blockCounts_;       // paged: per sequence, the blocks in its table row
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
