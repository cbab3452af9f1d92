// Test-only helpers of fast_check: random quantized projections with their exact dense values,
// packing into the GPTQ v1 / AWQ GEMM checkpoint layouts (plain loops, independent of the repack
// code under test), and a float64 Llama forward on the CPU without KV cache.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace check {

// Integer form drawn at random: q [K, N], zeros [Gn, N] (1..15), scales [Gn, N] (f16-exact), group [K].
struct QuantProjection {
    at::Tensor q, zeros, scales, group;
    int64_t groupSize;
    at::Tensor dense() const;  // f64 [N, K]: (q - z[group]) * s[group], transposed
};

// actOrder: group[k] = rank(k) / G over a random permutation; else k / G.
QuantProjection randomQuantProjection(int64_t k, int64_t n, int64_t groupSize, bool actOrder, at::Tensor sharedGroup,
                                      double scale);

struct PackedGptq { at::Tensor qweight, qzeros, scales, gIdx; };
struct PackedAwq { at::Tensor qweight, qzeros, scales; };
PackedGptq packGptqV1(const QuantProjection& p);
PackedAwq packAwq(const QuantProjection& p);

struct DenseLayer { at::Tensor inputNorm, postNorm, q, k, v, o, gate, up, down; };  // f64, [N, K]
struct DenseLlama {
    int64_t heads, kvHeads, headDim;
    double eps, theta;
    at::Tensor embed, norm, lmHead;
    std::vector<DenseLayer> layers;
};

// f64 logits [V] of the last position, full causal attention over all tokens.
at::Tensor referenceLogits(const DenseLlama& m, const std::vector<int64_t>& tokens);

}  // namespace check
