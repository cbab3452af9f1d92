#include "fused_ops.h"

#include "checks.h"

#include "attention.h"
#include "fused_kernels.h"

#include <c10/cuda/CUDAStream.h>

#include <stdexcept>
#include <string>

namespace llmops {
namespace {

__nv_bfloat16* bf16(const at::Tensor& t) {
    return reinterpret_cast<__nv_bfloat16*>(t.data_ptr());
}

const int64_t* indexes(const at::Tensor& perm) {
    return perm.defined() ? perm.data_ptr<int64_t>() : nullptr;
}

cudaStream_t stream(const at::Tensor& t) {
    return c10::cuda::getCurrentCUDAStream(t.device().index()).stream();
}

kernels::KvBlockTable blockTableOf(const at::Tensor& table, const at::Tensor& pool) {
    require(table.is_cuda() && table.scalar_type() == at::kInt && table.dim() == 2 && table.is_contiguous(),
            "the block table must be contiguous int32 [S, maxBlocks] on the device");
    require(pool.dim() == 4, "a paged pool must be [blocks, hkv, blockSize, d]");
    kernels::KvBlockTable blocks;
    blocks.table = table.data_ptr<int32_t>();
    blocks.blockSize = static_cast<int>(pool.size(2));
    blocks.maxBlocks = static_cast<int>(table.size(1));
    return blocks;
}

// What RoPE with the cache write takes, contiguous caches or paged pools alike.
void checkRopeInputs(const at::Tensor& qkv, const at::Tensor& positions, const at::Tensor& sequences,
                     const at::Tensor& cos, int64_t d, int64_t hq, int64_t hkv) {
    const int64_t m = qkv.size(0);
    require(qkv.scalar_type() == at::kBFloat16 && qkv.is_contiguous() && qkv.size(1) == (hq + 2 * hkv) * d,
            "qkv must be contiguous bf16 [M, (hq + 2 hkv) d]");
    require(positions.scalar_type() == at::kLong && positions.numel() == m, "positions must be int64 [M]");
    require(!sequences.defined() || (sequences.scalar_type() == at::kLong && sequences.numel() == m),
            "sequences must be int64 [M]");
    require(cos.scalar_type() == at::kFloat && cos.is_contiguous() && cos.size(1) == d, "rope tables must be f32 [P, d]");
}

// What the decode attention takes, contiguous caches or paged pools alike (keys: either, [*, hkv, *, d]).
void checkDecodeAttentionInputs(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                                const at::Tensor& positions, const at::Tensor& sequences, int64_t hq,
                                const at::Tensor& scatter) {
    const int64_t hkv = keys.size(1), d = keys.size(3), m = positions.numel();
    require(kernels::decodeAttentionSupports(static_cast<int>(d)), "decodeAttention takes head_dim 32, 64 or 128");
    require(q.is_contiguous() && q.size(1) == hkv && q.size(2) == (hq / hkv) * m && keys.is_contiguous() &&
                values.is_contiguous() && values.sizes() == keys.sizes(),
            "q must be [1, hkv, group * M, d] and the caches contiguous");
    require(positions.scalar_type() == at::kLong && (!sequences.defined() ||
            (sequences.scalar_type() == at::kLong && sequences.numel() == m)), "positions and sequences must be int64 [M]");
    require(!scatter.defined() || (scatter.scalar_type() == at::kLong && scatter.numel() == hq * d), "scatter must be int64 [hq * d]");
}

}  // namespace

at::Tensor embedTokens(const at::Tensor& embed, const at::Tensor& tokens, const at::Tensor& lastTokens,
                       const at::Tensor& sequences) {
    require(embed.is_cuda() && embed.scalar_type() == at::kBFloat16 && embed.is_contiguous() && embed.dim() == 2,
            "embed must be a contiguous bf16 CUDA matrix");
    const int64_t m = tokens.numel();
    require(tokens.scalar_type() == at::kLong && tokens.is_contiguous() && sequences.scalar_type() == at::kLong &&
                sequences.is_contiguous() && sequences.numel() == m && lastTokens.scalar_type() == at::kLong,
            "tokens, sequences and lastTokens must be contiguous int64");
    at::Tensor out = at::empty({m, embed.size(1)}, embed.options());
    checkCuda(kernels::embedTokens(bf16(embed), tokens.data_ptr<int64_t>(), lastTokens.data_ptr<int64_t>(),
                                   sequences.data_ptr<int64_t>(), bf16(out), static_cast<int>(m),
                                   static_cast<int>(embed.size(1)), stream(embed)),
              "embedTokens");
    return out;
}

at::Tensor addRmsNorm(at::Tensor& residual, const at::Tensor& delta, const at::Tensor& weight, double eps,
                      const at::Tensor& perm) {
    require(residual.is_cuda() && residual.scalar_type() == at::kBFloat16 && residual.is_contiguous() &&
                residual.dim() == 2, "residual must be a contiguous bf16 CUDA matrix");
    require(!delta.defined() || (delta.sizes() == residual.sizes() && delta.scalar_type() == at::kBFloat16 &&
                                 delta.is_contiguous()), "delta must match the residual");
    require(weight.scalar_type() == at::kBFloat16 && weight.numel() == residual.size(1), "norm weight must be bf16 [H]");
    require(!perm.defined() || (perm.scalar_type() == at::kLong && perm.numel() == residual.size(1)), "perm must be int64 [H]");
    at::Tensor out = at::empty_like(residual);
    checkCuda(kernels::addRmsNorm(bf16(residual), delta.defined() ? bf16(delta) : nullptr, bf16(weight.contiguous()),
                              indexes(perm), bf16(out), static_cast<int>(residual.size(0)),
                              static_cast<int>(residual.size(1)), static_cast<float>(eps), stream(residual)),
          "addRmsNorm");
    return out;
}

at::Tensor ropeAndCacheWrite(const at::Tensor& qkv, const at::Tensor& positions, const at::Tensor& sequences,
                             const at::Tensor& cos, const at::Tensor& sin, at::Tensor& keys, at::Tensor& values,
                             int64_t hq, int64_t hkv) {
    const int64_t m = qkv.size(0), d = keys.size(3), capacity = keys.size(2);
    checkRopeInputs(qkv, positions, sequences, cos, d, hq, hkv);
    require(keys.is_contiguous() && values.is_contiguous() && keys.size(1) == hkv, "caches must be contiguous [S, hkv, C, d]");
    at::Tensor q = at::empty({1, hkv, (hq / hkv) * m, d}, qkv.options());
    checkCuda(kernels::ropeAndCacheWrite(bf16(qkv), positions.data_ptr<int64_t>(), indexes(sequences), cos.data_ptr<float>(),
                                     sin.data_ptr<float>(), bf16(keys), bf16(values), bf16(q), static_cast<int>(m),
                                     static_cast<int>(hq), static_cast<int>(hkv), static_cast<int>(d),
                                     static_cast<int>(capacity), stream(qkv)),
          "ropeAndCacheWrite");
    return q;
}

at::Tensor ropeAndCacheWritePaged(const at::Tensor& qkv, const at::Tensor& positions, const at::Tensor& sequences,
                                  const at::Tensor& table, const at::Tensor& cos, const at::Tensor& sin,
                                  at::Tensor& keys, at::Tensor& values, int64_t hq, int64_t hkv) {
    const int64_t m = qkv.size(0), d = keys.size(3);
    checkRopeInputs(qkv, positions, sequences, cos, d, hq, hkv);
    require(keys.is_contiguous() && values.is_contiguous() && keys.size(1) == hkv && values.sizes() == keys.sizes(),
            "pools must be contiguous [blocks, hkv, blockSize, d]");
    const kernels::KvBlockTable blocks = blockTableOf(table, keys);
    at::Tensor q = at::empty({1, hkv, (hq / hkv) * m, d}, qkv.options());
    checkCuda(kernels::ropeAndCacheWritePaged(bf16(qkv), positions.data_ptr<int64_t>(), indexes(sequences), blocks,
                                              cos.data_ptr<float>(), sin.data_ptr<float>(), bf16(keys), bf16(values),
                                              bf16(q), static_cast<int>(m), static_cast<int>(hq), static_cast<int>(hkv),
                                              static_cast<int>(d), stream(qkv)),
              "ropeAndCacheWritePaged");
    return q;
}

at::Tensor decodeAttentionPaged(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                                const at::Tensor& positions, const at::Tensor& sequences, const at::Tensor& table,
                                int64_t hq, const at::Tensor& scatter, bool batchInvariant) {
    const int64_t hkv = keys.size(1), d = keys.size(3), m = positions.numel();
    checkDecodeAttentionInputs(q, keys, values, positions, sequences, hq, scatter);
    const kernels::KvBlockTable blocks = blockTableOf(table, keys);
    at::Tensor out = at::empty({m, hq * d}, q.options());
    // Split by what a table row can address, fixed for the model: the same split at every step.
    const int splits = batchInvariant ? kernels::batchInvariantAttentionSplits(static_cast<int>(hq))
                                      : kernels::decodeAttentionSplits(static_cast<int>(m), static_cast<int>(hq),
                                                                       blocks.maxBlocks * blocks.blockSize);
    at::Tensor partials = splits > 1 ? at::empty({m, hq, splits, d + 2}, q.options().dtype(at::kFloat)) : at::Tensor();
    checkCuda(kernels::decodeAttentionPaged(bf16(q), bf16(keys), bf16(values), positions.data_ptr<int64_t>(),
                                            indexes(sequences), blocks, indexes(scatter), bf16(out),
                                            splits > 1 ? partials.data_ptr<float>() : nullptr, splits,
                                            static_cast<int>(m), static_cast<int>(hq), static_cast<int>(hkv),
                                            static_cast<int>(d), stream(q)),
              "decodeAttentionPaged");
    return out;
}

at::Tensor decodeAttention(const at::Tensor& q, const at::Tensor& keys, const at::Tensor& values,
                           const at::Tensor& positions, const at::Tensor& sequences, int64_t hq,
                           const at::Tensor& scatter, bool batchInvariant) {
    const int64_t hkv = keys.size(1), capacity = keys.size(2), d = keys.size(3), m = positions.numel();
    checkDecodeAttentionInputs(q, keys, values, positions, sequences, hq, scatter);
    at::Tensor out = at::empty({m, hq * d}, q.options());
    const int splits = batchInvariant ? kernels::batchInvariantAttentionSplits(static_cast<int>(hq))
                                      : kernels::decodeAttentionSplits(static_cast<int>(m), static_cast<int>(hq),
                                                                       static_cast<int>(capacity));
    at::Tensor partials = splits > 1 ? at::empty({m, hq, splits, d + 2}, q.options().dtype(at::kFloat)) : at::Tensor();
    checkCuda(kernels::decodeAttention(bf16(q), bf16(keys), bf16(values), positions.data_ptr<int64_t>(), indexes(sequences),
                                   indexes(scatter), bf16(out), splits > 1 ? partials.data_ptr<float>() : nullptr, splits,
                                   static_cast<int>(m), static_cast<int>(hq), static_cast<int>(hkv), static_cast<int>(d),
                                   static_cast<int>(capacity), stream(q)),
          "decodeAttention");
    return out;
}

at::Tensor siluMul(const at::Tensor& gateUp, const at::Tensor& perm) {
    require(gateUp.scalar_type() == at::kBFloat16 && gateUp.is_contiguous() && gateUp.dim() == 2 && gateUp.size(1) % 2 == 0,
            "gateUp must be contiguous bf16 [M, 2F]");
    const int64_t m = gateUp.size(0), f = gateUp.size(1) / 2;
    require(!perm.defined() || (perm.scalar_type() == at::kLong && perm.numel() == f), "perm must be int64 [F]");
    at::Tensor out = at::empty({m, f}, gateUp.options());
    checkCuda(kernels::siluMul(bf16(gateUp), indexes(perm), bf16(out), static_cast<int>(m), static_cast<int>(f), stream(gateUp)),
          "siluMul");
    return out;
}

}  // namespace llmops
