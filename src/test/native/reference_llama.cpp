#include "reference_llama.h"

#include <cmath>

namespace check {

at::Tensor QuantProjection::dense() const {
    at::Tensor z = zeros.index_select(0, group).to(at::kDouble);
    at::Tensor s = scales.index_select(0, group).to(at::kDouble);
    return ((q.to(at::kDouble) - z) * s).t().contiguous();
}

QuantProjection randomQuantProjection(int64_t k, int64_t n, int64_t groupSize, bool actOrder, at::Tensor sharedGroup,
                                      double scale) {
    QuantProjection p;
    p.groupSize = groupSize <= 0 ? k : groupSize;
    const int64_t groups = (k + p.groupSize - 1) / p.groupSize;
    p.q = at::randint(0, 16, {k, n}, at::kInt);
    p.zeros = at::randint(1, 16, {groups, n}, at::kInt);
    p.scales = (at::rand({groups, n}, at::kFloat) * 0.5 + 0.75).mul(scale).to(at::kHalf).to(at::kFloat);
    if (sharedGroup.defined()) {
        p.group = sharedGroup;
    } else {
        at::Tensor inOrder = at::floor_divide(at::arange(k, at::kLong), p.groupSize);
        p.group = actOrder ? inOrder.index_select(0, at::randperm(k, at::kLong)) : inOrder;
    }
    return p;
}

PackedGptq packGptqV1(const QuantProjection& p) {
    const int64_t k = p.q.size(0), n = p.q.size(1), groups = p.zeros.size(0);
    at::Tensor qweight = at::zeros({k / 8, n}, at::kInt);
    at::Tensor qzeros = at::zeros({groups, n / 8}, at::kInt);
    auto q = p.q.accessor<int32_t, 2>();
    auto z = p.zeros.accessor<int32_t, 2>();
    auto qw = qweight.accessor<int32_t, 2>();
    auto qz = qzeros.accessor<int32_t, 2>();
    for (int64_t r = 0; r < k / 8; ++r)
        for (int64_t c = 0; c < n; ++c) {
            uint32_t word = 0;
            for (int j = 0; j < 8; ++j) word |= static_cast<uint32_t>(q[8 * r + j][c]) << (4 * j);
            qw[r][c] = static_cast<int32_t>(word);
        }
    for (int64_t g = 0; g < groups; ++g)
        for (int64_t c = 0; c < n / 8; ++c) {
            uint32_t word = 0;
            for (int j = 0; j < 8; ++j) word |= static_cast<uint32_t>((z[g][8 * c + j] - 1) & 15) << (4 * j);
            qz[g][c] = static_cast<int32_t>(word);
        }
    return {qweight, qzeros, p.scales.to(at::kHalf), p.group.to(at::kInt)};
}

PackedAwq packAwq(const QuantProjection& p) {
    static const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    const int64_t k = p.q.size(0), n = p.q.size(1), groups = p.zeros.size(0);
    at::Tensor qweight = at::zeros({k, n / 8}, at::kInt);
    at::Tensor qzeros = at::zeros({groups, n / 8}, at::kInt);
    auto pack = [&](const at::Tensor& src, at::Tensor& dst) {
        auto s = src.accessor<int32_t, 2>();
        auto d = dst.accessor<int32_t, 2>();
        for (int64_t r = 0; r < src.size(0); ++r)
            for (int64_t c = 0; c < n / 8; ++c) {
                uint32_t word = 0;
                for (int i = 0; i < 8; ++i) word |= static_cast<uint32_t>(s[r][8 * c + order[i]]) << (4 * i);
                d[r][c] = static_cast<int32_t>(word);
            }
    };
    pack(p.q, qweight);
    pack(p.zeros, qzeros);
    return {qweight, qzeros, p.scales.to(at::kHalf)};
}

namespace {

at::Tensor rms(const at::Tensor& x, const at::Tensor& w, double eps) {
    return x * at::rsqrt(x.pow(2).mean(-1, true) + eps) * w;
}

at::Tensor rope(const at::Tensor& x /*[T, heads, D]*/, double theta) {
    const int64_t t = x.size(0), d = x.size(2);
    at::Tensor inv = at::pow(theta, -at::arange(0, d, 2, at::kDouble) / static_cast<double>(d));
    at::Tensor freqs = at::outer(at::arange(t, at::kDouble), inv);
    at::Tensor angles = at::cat({freqs, freqs}, -1).unsqueeze(1);
    at::Tensor rotated = at::cat({-x.narrow(2, d / 2, d / 2), x.narrow(2, 0, d / 2)}, 2);
    return x * angles.cos() + rotated * angles.sin();
}

}  // namespace

at::Tensor referenceLogits(const DenseLlama& m, const std::vector<int64_t>& tokens) {
    const int64_t t = static_cast<int64_t>(tokens.size()), d = m.headDim;
    const int64_t group = m.heads / m.kvHeads;
    at::Tensor x = m.embed.index_select(0, at::tensor(tokens, at::kLong));
    at::Tensor causal = at::ones({t, t}, at::kBool).triu(1);
    for (const DenseLayer& l : m.layers) {
        at::Tensor h = rms(x, l.inputNorm, m.eps);
        at::Tensor q = rope(at::matmul(h, l.q.t()).view({t, m.heads, d}), m.theta).permute({1, 0, 2});
        at::Tensor k = rope(at::matmul(h, l.k.t()).view({t, m.kvHeads, d}), m.theta).permute({1, 0, 2});
        at::Tensor v = at::matmul(h, l.v.t()).view({t, m.kvHeads, d}).permute({1, 0, 2});
        k = k.repeat_interleave(group, 0);
        v = v.repeat_interleave(group, 0);
        at::Tensor scores = at::bmm(q, k.transpose(1, 2)) / std::sqrt(static_cast<double>(d));
        scores = scores.masked_fill(causal, -INFINITY).softmax(-1);
        at::Tensor attn = at::bmm(scores, v).permute({1, 0, 2}).reshape({t, m.heads * d});
        x = x + at::matmul(attn, l.o.t());
        h = rms(x, l.postNorm, m.eps);
        x = x + at::matmul(at::silu(at::matmul(h, l.gate.t())) * at::matmul(h, l.up.t()), l.down.t());
    }
    return at::matmul(rms(x.narrow(0, t - 1, 1), m.norm, m.eps), m.lmHead.t()).view({-1});
}

}  // namespace check
