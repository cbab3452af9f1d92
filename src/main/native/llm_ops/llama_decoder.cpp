#include "llama_decoder.h"

#include "checks.h"

#include "attention.h"
#include "fused_kernels.h"
#include "fused_ops.h"
#include "host_upload.h"

#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <limits>
#include <stdexcept>
#include <string>

namespace llmops {
namespace {

// Batch-invariant steps run the parts whose kernel is chosen by the row count (dense: cuBLAS; torch's
// tinygemm) at `rows` rows (0: as they come). Our mma kernel sums a row the same way at any count.
void padRowsOf(DecoderLayer& layer, int64_t rows) {
    for (Linear* linear : {&layer.qkv, &layer.o, &layer.gateUp, &layer.down})
        for (LinearPart& part : linear->parts) part.minRows = part.kind == PartKind::Mma ? 0 : rows;
}

}  // namespace

int64_t cacheCapacityFor(int64_t tokens) {
    const int64_t step = 256;
    return (tokens + step - 1) / step * step;
}

LlamaDecoder::LlamaDecoder(const LlamaDims& dims, at::Tensor embed, at::Tensor finalNorm, at::Tensor lmHead,
                           int64_t sequences)
    : dims_(dims), device_(embed.device()), positions_(sequences, 0), sampled_(sequences, false) {
    require(sequences >= 1, "sequences must be at least 1");
    require(dims.heads % dims.kvHeads == 0, "num_attention_heads must be a multiple of num_key_value_heads");
    require(kernels::decodeAttentionSupports(static_cast<int>(dims.headDim)), "head_dim must be 32, 64 or 128");
    require(kernels::rmsNormSupports(static_cast<int>(dims.hidden)), "hidden_size must be at most 16384");
    require(embed.dim() == 2 && embed.size(0) == dims.vocab && embed.size(1) == dims.hidden,
            "embed_tokens must be [vocab, hidden]");
    require(lmHead.dim() == 2 && lmHead.size(0) == dims.vocab && lmHead.size(1) == dims.hidden,
            "lm_head must be [vocab, hidden]");
    embed_ = embed.to(at::kBFloat16).contiguous();
    finalNorm_ = finalNorm.to(at::kBFloat16);
    lmHead_ = lmHead.to(at::kBFloat16).contiguous();
    lastTokens_ = at::zeros({sequences + 1}, at::TensorOptions().dtype(at::kLong).device(device_));

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
    layer.inputNorm = layer.inputNorm.to(at::kBFloat16).contiguous();
    layer.postNorm = layer.postNorm.to(at::kBFloat16).contiguous();
    scatters_.push_back({layer.qkv.inputScatter(), inversePermutation(layer.o.inputPermutation()), layer.gateUp.inputScatter()});
    padRowsOf(layer, batchInvariant_ ? sequences() : 0);
    layers_.push_back(std::move(layer));
    buckets_.clear();
    // Repacking leaves large freed blocks in torch's cache: give them back once the model is whole.
    if (static_cast<int64_t>(layers_.size()) == dims_.layers) c10::cuda::CUDACachingAllocator::emptyCache();
}

void LlamaDecoder::useGraphs(bool on) {
    require(!on || device_.is_cuda(), "CUDA graphs need a CUDA device");
    useGraphs_ = on;
    buckets_.clear();  // captured under the settings of their time (kernel kinds, dependent launch)
}

void LlamaDecoder::setBatchInvariant(bool on) {
    if (on == batchInvariant_) return;
    if (device_.is_cuda()) c10::cuda::device_synchronize();  // no step launched ahead may still run the graphs about to go
    batchInvariant_ = on;
    for (DecoderLayer& layer : layers_) padRowsOf(layer, on ? sequences() : 0);
    buckets_.clear();  // captured with the other kernels
}

void LlamaDecoder::checkSequence(int64_t sequence) const {
    require(sequence >= 0 && sequence < sequences(),
            "sequence " + std::to_string(sequence) + " outside [0, " + std::to_string(sequences()) + ")");
}

void LlamaDecoder::growCache(int64_t capacity) {
    buckets_.clear();  // their graphs point at the old caches
    auto bf16 = at::TensorOptions().dtype(at::kBFloat16).device(device_);
    for (size_t i = 0; i < layers_.size(); ++i) {
        // Zeros: masked slots must hold finite values (0 * NaN would poison the attention output).
        // One more sequence than asked: the scratch that padding rows of a bucket write to.
        at::Tensor keys = at::zeros({sequences() + 1, dims_.kvHeads, capacity, dims_.headDim}, bf16);
        at::Tensor values = at::zeros_like(keys);
        if (capacity_ > 0) {
            keys.narrow(2, 0, capacity_).copy_(keys_[i]);
            values.narrow(2, 0, capacity_).copy_(values_[i]);
        }
        if (i < keys_.size()) {
            keys_[i] = keys;
            values_[i] = values;
        } else {
            keys_.push_back(keys);
            values_.push_back(values);
        }
    }
    slots_ = at::arange(capacity, at::TensorOptions().dtype(at::kLong).device(device_));
    capacity_ = capacity;
}

void LlamaDecoder::usePagedCache(int64_t blocks, int64_t blockSize) {
    require(!paged() && capacity_ == 0, "the paged cache is set up once, before any sequence begins");
    require(blocks >= 1 && blocks < std::numeric_limits<int32_t>::max(), "kvBlocks must be in [1, 2^31 - 1)");
    require(blockSize >= 1 && blockSize <= 1024 && (blockSize & (blockSize - 1)) == 0,
            "the KV block size must be a power of two in [1, 1024], got " + std::to_string(blockSize));
    buckets_.clear();
    kvBlocks_ = blocks;
    blockSize_ = blockSize;
    maxBlocks_ = (dims_.maxPositions + blockSize - 1) / blockSize;
    auto bf16 = at::TensorOptions().dtype(at::kBFloat16).device(device_);
    keys_.clear();
    values_.clear();
    for (int64_t i = 0; i < dims_.layers; ++i) {
        // Zeros: masked slots must hold finite values (0 * NaN would poison the attention output).
        // One more block than asked: the scratch that padding rows and unused table entries point at.
        keys_.push_back(at::zeros({blocks + 1, dims_.kvHeads, blockSize, dims_.headDim}, bf16));
        values_.push_back(at::zeros_like(keys_.back()));
    }
    // One more row than sequences: the scratch sequence of a bucket's padding rows.
    blockTable_ = at::full({sequences() + 1, maxBlocks_}, blocks, at::TensorOptions().dtype(at::kInt).device(device_));
    blockCounts_.assign(sequences(), 0);
    capacity_ = maxBlocks_ * blockSize;
    slots_ = at::arange(capacity_, at::TensorOptions().dtype(at::kLong).device(device_));
}

void LlamaDecoder::writeTableRow(int64_t sequence, const std::vector<int64_t>& blocks) {
    require(paged(), "block tables need the paged cache (usePagedCache)");
    checkSequence(sequence);
    const int64_t n = static_cast<int64_t>(blocks.size());
    require(n >= 1 && n <= maxBlocks_, "a block table holds 1 to " + std::to_string(maxBlocks_) + " blocks, got " +
                                           std::to_string(n));
    std::vector<int64_t> row(maxBlocks_, kvBlocks_);  // past its blocks: the scratch block
    for (int64_t i = 0; i < n; ++i) {
        require(blocks[i] >= 0 && blocks[i] < kvBlocks_,
                "block id " + std::to_string(blocks[i]) + " outside [0, " + std::to_string(kvBlocks_) + ")");
        row[i] = blocks[i];
    }
    // In place, ordered on the stream after the steps already launched: the table keeps its address
    // (captured graphs read it) and no step in flight sees a half-written row.
    blockTable_.select(0, sequence).copy_(pinnedHostCopy(row).to(device_, at::kLong, /*non_blocking=*/true));
    blockCounts_[sequence] = n;
}

void LlamaDecoder::setBlocks(int64_t sequence, const std::vector<int64_t>& blocks, int64_t cachedTokens) {
    require(static_cast<int64_t>(layers_.size()) == dims_.layers, "not all layers were added");
    writeTableRow(sequence, blocks);
    require(cachedTokens >= 0 && cachedTokens < roomOf(sequence),
            "cachedTokens " + std::to_string(cachedTokens) + " must leave room in the sequence's " +
                std::to_string(blocks.size()) + " blocks of " + std::to_string(blockSize_));
    positions_[sequence] = cachedTokens;
    sampled_[sequence] = false;
}

void LlamaDecoder::growBlocks(int64_t sequence, const std::vector<int64_t>& blocks) {
    require(static_cast<int64_t>(blocks.size()) >= blockCounts_.at(sequence), "a block table only grows");
    writeTableRow(sequence, blocks);
}

int64_t LlamaDecoder::roomOf(int64_t sequence) const {
    return paged() ? std::min(blockCounts_[sequence] * blockSize_, dims_.maxPositions) : capacity_;
}

at::Tensor LlamaDecoder::gatherBlocks(const at::Tensor& pool, int64_t sequence, int64_t slots) const {
    at::Tensor ids = blockTable_.select(0, sequence).narrow(0, 0, slots / blockSize_).to(at::kLong);
    return pool.index_select(0, ids).permute({1, 0, 2, 3}).reshape({1, dims_.kvHeads, slots, dims_.headDim});
}

void LlamaDecoder::begin(int64_t sequence, int64_t capacity) {
    require(static_cast<int64_t>(layers_.size()) == dims_.layers, "not all layers were added");
    require(!paged(), "a paged cache's sequences start at setBlocks");
    checkSequence(sequence);
    require(capacity > 0 && capacity <= dims_.maxPositions,
            "maxTokens must be in [1, max_position_embeddings=" + std::to_string(dims_.maxPositions) + "]");
    const int64_t rounded = std::min(cacheCapacityFor(capacity), dims_.maxPositions);
    // At least double when growing: each growth copies every cache and captures the graphs again, a
    // stall for the running sequences, so longer requests arriving one by one should cause few.
    if (rounded > capacity_) {
        c10::cuda::device_synchronize();  // no step launched ahead may still run the graphs about to go
        growCache(std::min(std::max(rounded, 2 * capacity_), dims_.maxPositions));
    }
    positions_[sequence] = 0;
    sampled_[sequence] = false;
}

void LlamaDecoder::markSampled(const std::vector<int64_t>& sequences) {
    for (int64_t s : sequences) {
        checkSequence(s);
        sampled_[s] = true;
    }
}

at::Tensor LlamaDecoder::attentionMask(const at::Tensor& positions, int64_t slots) const {
    const int64_t group = dims_.heads / dims_.kvHeads, m = positions.size(0);
    at::Tensor hidden = slots_.narrow(0, 0, slots).unsqueeze(0) > positions.repeat({group}).unsqueeze(1);
    return at::zeros({group * m, slots}, embed_.options())
        .masked_fill_(hidden, -std::numeric_limits<float>::infinity())
        .view({1, 1, group * m, slots});
}

at::Tensor LlamaDecoder::attention(size_t layer, const at::Tensor& qkv, const at::Tensor& positions,
                                   const at::Tensor& sequences, const at::Tensor& mask, int64_t prefillSequence) {
    const int64_t m = qkv.size(0), d = dims_.headDim, hq = dims_.heads, hkv = dims_.kvHeads;
    const bool decoding = sequences.defined();
    if (decoding && paged()) {
        at::Tensor q = ropeAndCacheWritePaged(qkv, positions, sequences, blockTable_, cos_, sin_, keys_[layer],
                                              values_[layer], hq, hkv);
        return decodeAttentionPaged(q, keys_[layer], values_[layer], positions, sequences, blockTable_, hq,
                                    scatters_[layer].o, batchInvariant_);
    }
    if (decoding) {
        // GQA without copying the cache: the query heads of one KV head become rows (g * M + i).
        at::Tensor q = ropeAndCacheWrite(qkv, positions, sequences, cos_, sin_, keys_[layer], values_[layer], hq, hkv);
        return decodeAttention(q, keys_[layer], values_[layer], positions, sequences, hq, scatters_[layer].o,
                               batchInvariant_);
    }
    // Without a mask the prompt starts at position 0 and attends over its own M positions.
    const int64_t slots = mask.defined() ? mask.size(3) : (paged() ? (m + blockSize_ - 1) / blockSize_ * blockSize_ : m);
    at::Tensor q, keys, values;
    if (paged()) {
        // Write the new positions through the sequence's table row, then attend over its blocks gathered
        // in position order (whole blocks up to the last new position).
        at::Tensor row = blockTable_.narrow(0, prefillSequence, 1);
        q = ropeAndCacheWritePaged(qkv, positions, at::Tensor(), row, cos_, sin_, keys_[layer], values_[layer], hq, hkv);
        keys = gatherBlocks(keys_[layer], prefillSequence, slots);
        values = gatherBlocks(values_[layer], prefillSequence, slots);
    } else {
        keys = keys_[layer].narrow(0, prefillSequence, 1);
        values = values_[layer].narrow(0, prefillSequence, 1);
        q = ropeAndCacheWrite(qkv, positions, at::Tensor(), cos_, sin_, keys, values, hq, hkv);
    }
    at::Tensor out;
    if (mask.defined()) {
        out = at::scaled_dot_product_attention(q, keys, values, mask);
    } else {
        // Causal with as many keys as queries, the shape SDPA's flash kernel takes; a float mask of
        // group * M x slots would send it to a slower kernel and grow with M^2. Query heads of one KV
        // head are its rows g * M + i, so q is already [hq, M, d]; K and V are repeated per query head.
        const int64_t group = hq / hkv;
        auto perHead = [&](const at::Tensor& cache) {
            return cache.narrow(2, 0, m).unsqueeze(2).expand({1, hkv, group, m, d}).reshape({1, hq, m, d});
        };
        out = at::scaled_dot_product_attention(q.reshape({1, hq, m, d}), perHead(keys), perHead(values), {}, 0.0,
                                               /*is_causal=*/true);
    }
    return out.reshape({hkv, hq / hkv, m, d}).permute({2, 0, 1, 3}).reshape({m, hq * d});
}

at::Tensor LlamaDecoder::forward(const at::Tensor& tokens, const at::Tensor& positions, const at::Tensor& sequences,
                                 int64_t prefillSequence, int64_t prefillStart, int64_t prefillSlots) {
    const double eps = dims_.rmsEps;
    const bool decoding = sequences.defined();      // one token per sequence: the decode kernel, no mask
    // The residual stream, updated in place.
    at::Tensor x = decoding ? embedTokens(embed_, tokens, lastTokens_, sequences) : embed_.index_select(0, tokens);
    at::Tensor mask = decoding || prefillStart == 0 ? at::Tensor() : attentionMask(positions, prefillSlots);
    at::Tensor delta;                               // the last down_proj output, not yet added
    FoldedNorm inputNorm;                           // or, folded into it, the next input norm
    for (size_t i = 0; i < layers_.size(); ++i) {
        const DecoderLayer& l = layers_[i];
        const DecoderLayer* next = i + 1 < layers_.size() ? &layers_[i + 1] : nullptr;
        // One-row decode steps fold each RMSNorm between two mma matmuls into them (int4_mma.h): no
        // norm kernel between the matmuls. Measured (docs/fast-path.md, "The RMSNorm folded into the
        // matmuls"): at one row the step 7.61 -> 7.30 ms (H100); folded at 4 to 16 rows it lost 4-6%, the
        // kernels giving L1 to the sums of squares. Act-order gathers ride on the kernels that produce
        // each input (single-part linears). Batch-invariant steps never fold: a folded norm rounds
        // differently, and a row alone would not give what it gives beside others. (The int4 kernel
        // itself sums a row in one order at every row count: 8 warps over fixed k-blocks, no split of K
        // across blocks.)
        const bool fold = decoding && x.size(0) == 1 && !batchInvariant_;
        at::Tensor permQkv = l.qkv.inputPermutation();
        at::Tensor qkv;
        if (inputNorm.scaled.defined()) {
            qkv = l.qkv.parts.front().forwardNormed(inputNorm);
        } else {
            at::Tensor h = addRmsNorm(x, delta, l.inputNorm, eps, permQkv);
            qkv = permQkv.defined() ? l.qkv.forwardPermuted(h) : l.qkv.forward(h);
        }
        at::Tensor attn = attention(i, qkv, positions, sequences, mask, prefillSequence);
        const bool oGathered = decoding && l.o.inputPermutation().defined();
        at::Tensor gateUp;
        if (fold && l.o.foldsNorm() && l.gateUp.foldsNorm()) {
            FoldedNorm postNorm = l.o.parts.front().addToResidual(attn, oGathered, x, l.postNorm, scatters_[i].gateUp, eps);
            gateUp = l.gateUp.parts.front().forwardNormed(postNorm);
        } else {
            at::Tensor o = oGathered ? l.o.forwardPermuted(attn) : l.o.forward(attn);
            at::Tensor permGateUp = l.gateUp.inputPermutation();
            at::Tensor h = addRmsNorm(x, o, l.postNorm, eps, permGateUp);
            gateUp = permGateUp.defined() ? l.gateUp.forwardPermuted(h) : l.gateUp.forward(h);
        }
        at::Tensor permDown = l.down.inputPermutation();
        at::Tensor act = siluMul(gateUp, permDown);
        if (fold && next != nullptr && l.down.foldsNorm() && next->qkv.foldsNorm()) {
            inputNorm = l.down.parts.front().addToResidual(act, permDown.defined(), x, next->inputNorm, scatters_[i + 1].qkv, eps);
            delta = at::Tensor();
        } else {
            inputNorm = FoldedNorm();
            delta = permDown.defined() ? l.down.forwardPermuted(act) : l.down.forward(act);
        }
    }
    at::Tensor normed = addRmsNorm(x, delta, finalNorm_, eps, at::Tensor());
    at::Tensor rows = decoding ? normed : normed.narrow(0, x.size(0) - 1, 1);
    if (decoding && batchInvariant_) {
        // cuBLAS picks its kernel (and its split of K) by the row count: every step at the largest
        // bucket's, so that a row's logits do not depend on how many rows share its step.
        const int64_t m = rows.size(0);
        at::Tensor padded = at::zeros({this->sequences(), rows.size(1)}, rows.options());
        padded.narrow(0, 0, m).copy_(rows);
        return at::matmul(padded, lmHead_.t()).narrow(0, 0, m).to(at::kFloat);
    }
    return at::matmul(rows, lmHead_.t()).to(at::kFloat);
}

at::Tensor LlamaDecoder::prefill(int64_t sequence, const std::vector<int64_t>& tokens) {
    checkSequence(sequence);
    require(paged() ? blockCounts_[sequence] > 0 : capacity_ > 0,
            paged() ? "setBlocks() must come before prefill" : "begin() must come before prefill");
    require(!tokens.empty(), "the prompt must hold at least one token");
    const int64_t start = positions_[sequence], end = start + static_cast<int64_t>(tokens.size());
    require(end <= roomOf(sequence), paged() ? "the prompt is longer than the sequence's blocks"
                                             : "the prompt is longer than the session's maxTokens");
    auto i64 = at::TensorOptions().dtype(at::kLong).device(device_);
    at::Tensor ids = at::tensor(tokens, at::kLong).to(device_);
    require(ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < dims_.vocab, "token id outside the vocabulary");
    at::Tensor positions = at::arange(start, end, i64);
    // Paged: attend over the sequence's blocks up to the last new position, not all it may address.
    const int64_t slots = paged() ? (end + blockSize_ - 1) / blockSize_ * blockSize_ : capacity_;
    at::Tensor logits = forward(ids, positions, at::Tensor(), sequence, start, slots).view({dims_.vocab});
    positions_[sequence] = end;
    return logits;
}

LlamaDecoder::Bucket& LlamaDecoder::bucketFor(int64_t n) {
    int64_t size = 1;
    while (size < n) size *= 2;
    size = std::min(size, sequences());  // the largest bucket is the number of sequences
    Bucket& b = buckets_[size];
    if (!b.inputs.defined()) b.inputs = at::zeros({3, size}, at::TensorOptions().dtype(at::kLong).device(device_));
    return b;
}

void LlamaDecoder::capture(Bucket& b) {
    c10::cuda::CUDAStream side = c10::cuda::getStreamFromPool(false, device_.index());
    c10::cuda::device_synchronize();
    {
        c10::cuda::CUDAStreamGuard guard(side);
        // Warm-up on the real step inputs: it writes the same cache slots with the same values.
        for (int i = 0; i < 2; ++i) forward(b.inputs[0], b.inputs[1], b.inputs[2], 0, 0, 0);
        side.synchronize();
        b.graph = std::make_unique<at::cuda::CUDAGraph>();
        b.graph->capture_begin();
        b.logits = forward(b.inputs[0], b.inputs[1], b.inputs[2], 0, 0, 0);
        b.graph->capture_end();
    }
    c10::cuda::device_synchronize();
}

at::Tensor LlamaDecoder::decode(const std::vector<int64_t>& sequences, const std::vector<int64_t>& tokens) {
    const int64_t n = static_cast<int64_t>(sequences.size());
    require(n >= 1 && static_cast<int64_t>(tokens.size()) == n, "one token per sequence, at least one");
    std::vector<bool> seen(this->sequences(), false);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t s = sequences[i];
        checkSequence(s);
        require(!seen[s], "sequence " + std::to_string(s) + " appears twice in one step");
        seen[s] = true;
        require(capacity_ > 0 && positions_[s] > 0, "prefill must come before decode");
        require(positions_[s] < roomOf(s), paged() ? "sequence " + std::to_string(s) + " has no room left in its blocks"
                                                   : "the session's maxTokens is used up");
        require(tokens[i] < dims_.vocab, "token id outside the vocabulary");
        require(tokens[i] >= 0 || sampled_[s], "sequence " + std::to_string(s) + " has no sampled token on the device");
    }
    at::Tensor logits;
    if (useGraphs_) {
        Bucket& b = bucketFor(n);
        const int64_t size = b.inputs.size(1);
        // Rows past n: token 0 at position 0 of the scratch sequence (index sequences()).
        std::vector<int64_t> host(3 * size, 0);
        for (int64_t i = 0; i < size; ++i) {
            host[i] = i < n ? tokens[i] : 0;
            host[size + i] = i < n ? positions_[sequences[i]] : 0;
            host[2 * size + i] = i < n ? sequences[i] : this->sequences();
        }
        b.inputs.copy_(pinnedHostCopy(host).view({3, size}), /*non_blocking=*/true);
        if (!b.graph) capture(b);
        b.graph->replay();
        logits = b.logits.narrow(0, 0, n);
        stepSequences_ = b.inputs[2].narrow(0, 0, n);
    } else {
        std::vector<int64_t> host(tokens);
        for (int64_t s : sequences) host.push_back(positions_[s]);
        host.insert(host.end(), sequences.begin(), sequences.end());
        at::Tensor inputs = pinnedHostCopy(host).to(device_, at::kLong, /*non_blocking=*/true).view({3, n});
        logits = forward(inputs[0], inputs[1], inputs[2], 0, 0, 0);
        stepSequences_ = inputs[2];
    }
    for (int64_t s : sequences) ++positions_[s];
    return logits;
}

}  // namespace llmops
