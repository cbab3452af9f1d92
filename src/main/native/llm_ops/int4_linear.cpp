#include "int4_linear.h"

#include "checks.h"

#include "int4_mma.h"
#include "int4_repack.h"

#include <c10/cuda/CUDAStream.h>

#include <stdexcept>
#include <string>

namespace llmops {
namespace {

at::Tensor shiftsFor(int64_t bits, const at::Device& device) {
    return at::arange(0, 32, bits, at::TensorOptions().dtype(at::kInt).device(device));
}

cudaStream_t streamOf(const at::Tensor& t) {
    return c10::cuda::getCurrentCUDAStream(t.device().index()).stream();
}

// Rows packed along K: value j of word [r][n] (bits j*b ...) is row r * (32/b) + j. uint8, one pass on
// the device (int4_repack.h).
at::Tensor unpackAlongRows(const at::Tensor& packed, int64_t bits) {
    require(packed.is_cuda() && packed.scalar_type() == at::kInt, "qweight must be an int32 tensor on the GPU");
    const at::Tensor words = packed.contiguous();
    at::Tensor out = at::empty({words.size(0) * (32 / bits), words.size(1)}, words.options().dtype(at::kByte));
    checkCuda(kernels::unpackRows(words.data_ptr<int32_t>(), words.size(0), words.size(1), static_cast<int>(bits),
                                  out.data_ptr<uint8_t>(), streamOf(words)),
              "unpackRows");
    return out;
}

// Columns packed along N: value j of word [r][c] is column c * (32/b) + j.
at::Tensor unpackAlongColumns(const at::Tensor& packed, int64_t bits) {
    const int64_t perWord = 32 / bits;
    at::Tensor shifts = shiftsFor(bits, packed.device()).view({1, 1, perWord});
    at::Tensor v = at::bitwise_and(at::bitwise_right_shift(packed.unsqueeze(2), shifts), (1 << bits) - 1);
    return v.reshape({packed.size(0), packed.size(1) * perWord});
}

// AWQ stores column 8c + ORDER[i] in nibble i, ORDER = [0,2,4,6,1,3,5,7]; column j is nibble REVERSE[j].
at::Tensor unpackAwqColumns(const at::Tensor& packed) {
    at::Tensor shifts = shiftsFor(4, packed.device()).view({1, 1, 8});
    at::Tensor nibbles = at::bitwise_and(at::bitwise_right_shift(packed.unsqueeze(2), shifts), 15);
    at::Tensor reverse = at::tensor(std::vector<int64_t>{0, 4, 1, 5, 2, 6, 3, 7}).to(packed.device());
    return nibbles.index_select(2, reverse).reshape({packed.size(0), packed.size(1) * 8});
}

at::Tensor groupsInOrder(int64_t k, int64_t groupSize, const at::Device& device) {
    return at::floor_divide(at::arange(k, at::TensorOptions().dtype(at::kLong).device(device)), groupSize);
}

int64_t kernelGroupSize(int64_t groupSize) {
    for (int64_t g : {256, 128, 64, 32}) {
        if (groupSize % g == 0) return g;
    }
    return 0;
}

int64_t innerKTiles(int64_t k) {
    return k % 128 == 0 ? 8 : (k % 64 == 0 ? 4 : 2);
}

}  // namespace

bool int4LayoutFits(int64_t k, int64_t n, int64_t groupSize, PartKind kind) {
    const int64_t g = groupSize <= 0 ? k : groupSize;
    const bool common = k % 32 == 0 && g % 32 == 0 && k % g == 0 && n % 8 == 0 && kernelGroupSize(g) > 0;
    return kind == PartKind::Mma ? common && kernels::int4MmaFits(n, k, kernelGroupSize(g)) : common;
}

Unpacked unpackGptq(const GptqTensors& t, int64_t bits, int64_t groupSize, bool v2) {
    require(bits == 2 || bits == 4 || bits == 8, "GPTQ bits must be 2, 4 or 8, got " + std::to_string(bits));
    require(t.qweight.scalar_type() == at::kInt && t.qweight.dim() == 2, "qweight must be int32 [K*b/32, N]");
    require(t.qzeros.scalar_type() == at::kInt && t.qzeros.dim() == 2, "qzeros must be int32 [groups, N*b/32]");
    require(t.scales.dim() == 2, "scales must be [groups, N]");
    const int64_t mask = (1 << bits) - 1;
    Unpacked u;
    u.q = unpackAlongRows(t.qweight, bits);
    const int64_t k = u.q.size(0);
    const int64_t n = u.q.size(1);
    u.groupSize = groupSize <= 0 ? k : groupSize;
    at::Tensor stored = unpackAlongColumns(t.qzeros, bits);
    // v1 stores zero - 1 (so a zero of 0 wraps to the all-ones value).
    u.zeros = v2 ? stored : at::bitwise_and(stored + 1, mask);
    u.scales = t.scales.to(at::kFloat);
    require(u.scales.size(1) == n && u.zeros.size(1) == n, "scales/qzeros columns must equal qweight's N");
    require(u.scales.size(0) == u.zeros.size(0) && u.scales.size(0) == (k + u.groupSize - 1) / u.groupSize,
            "scales/qzeros must have ceil(K/G) rows");
    if (t.gIdx.defined()) {
        require(t.gIdx.numel() == k, "g_idx must have K entries");
        u.group = t.gIdx.to(at::kLong);
        require(u.group.min().item<int64_t>() >= 0 && u.group.max().item<int64_t>() < u.scales.size(0),
                "g_idx values must lie in [0, groups)");
    } else {
        u.group = groupsInOrder(k, u.groupSize, u.q.device());
    }
    return u;
}

Unpacked unpackAwq(const AwqTensors& t, int64_t groupSize) {
    require(t.qweight.scalar_type() == at::kInt && t.qweight.dim() == 2, "AWQ qweight must be int32 [K, N/8]");
    require(t.qzeros.scalar_type() == at::kInt && t.qzeros.dim() == 2, "AWQ qzeros must be int32 [K/G, N/8]");
    Unpacked u;
    u.q = unpackAwqColumns(t.qweight).to(at::kByte);
    const int64_t k = u.q.size(0);
    u.groupSize = groupSize <= 0 ? k : groupSize;
    u.zeros = unpackAwqColumns(t.qzeros);
    u.scales = t.scales.to(at::kFloat);
    require(u.scales.sizes() == u.zeros.sizes() && u.scales.size(1) == u.q.size(1),
            "AWQ scales and qzeros must both be [K/G, N]");
    require(k % u.groupSize == 0 && u.scales.size(0) == k / u.groupSize, "AWQ scales must have K/G rows");
    u.group = groupsInOrder(k, u.groupSize, u.q.device());
    return u;
}

at::Tensor dequantize(const Unpacked& u) {
    at::Tensor z = u.zeros.index_select(0, u.group).to(at::kFloat);
    at::Tensor s = u.scales.index_select(0, u.group);
    return ((u.q.to(at::kFloat) - z) * s).t().contiguous().to(at::kBFloat16);
}

LinearPart repackInt4(const std::vector<Unpacked>& projections, PartKind kind) {
    require(kind != PartKind::Dense, "repackInt4 builds an int4 kind");
    require(!projections.empty(), "no projection to repack");
    const Unpacked& first = projections.front();
    const int64_t k = first.q.size(0);
    const int64_t g = first.groupSize;
    bool sameGroups = true;
    for (const Unpacked& u : projections) {
        require(u.q.size(0) == k && u.groupSize == g, "fused projections must share K and the group size");
        sameGroups = sameGroups && at::equal(u.group, first.group);
        require(int4LayoutFits(k, u.q.size(1), g, kind), "shape does not fit the int4 layout (K%32, G%32, tinygemm N%8)");
    }
    require(sameGroups || fusesDifferentGroups(projections, kind),
            "fused projections must share g_idx (mma: up to 4 with N % 32 == 0 may differ)");
    // Act-order: sort input features by group so that each run of G rows is one group; per projection
    // where their groups differ (each then reads its own gathered copy of the input).
    at::Tensor inOrder = groupsInOrder(k, g, first.q.device());
    std::vector<at::Tensor> perms;
    for (const Unpacked& u : projections) {
        if (sameGroups && !perms.empty()) {
            perms.push_back(perms.front());
            continue;
        }
        at::Tensor perm = std::get<1>(u.group.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
        require(at::equal(u.group.index_select(0, perm), inOrder), "g_idx must give every group exactly G input features");
        perms.push_back(perm);
    }
    const bool identity = sameGroups && at::equal(perms.front(), at::arange(k, perms.front().options()));
    // The kernels take G in {32..256}: larger groups repeat their scales.
    const int64_t kernelG = kernelGroupSize(g);
    const int64_t repeat = g / kernelG;

    std::vector<at::Tensor> rows, sz;
    for (size_t i = 0; i < projections.size(); ++i) {
        const Unpacked& u = projections[i];
        at::Tensor q = identity ? u.q : u.q.index_select(0, perms[i]);
        rows.push_back(q.t());
        at::Tensor s = u.scales.repeat_interleave(repeat, 0);
        at::Tensor zero = (8.0 - u.zeros.to(at::kFloat).repeat_interleave(repeat, 0)) * s;
        sz.push_back(at::stack({s, zero}, 2));
    }
    at::Tensor q = at::cat(rows, 0).contiguous();  // uint8 [N, K]
    LinearPart part;
    part.kind = kind;
    part.perm = identity ? at::Tensor() : sameGroups ? perms.front() : at::stack(perms);
    if (!sameGroups) {
        std::vector<int64_t> starts;
        int64_t column = 0;
        for (const Unpacked& u : projections) {
            starts.push_back(column);
            column += u.q.size(1);
        }
        part.partStarts = at::tensor(starts, at::kLong);
    }
    part.groupSize = kernelG;
    // [K/G, N, 2]: fp16 where our kernel applies them to float sums (the checkpoint's precision), else bf16.
    const bool half = kind == PartKind::Mma && kernels::mmaScalesAreHalf(kernelG);
    at::Tensor scalesZeros = at::cat(sz, 1).to(half ? at::kHalf : at::kBFloat16);
    if (kind == PartKind::Mma) {
        // int4_mma.h's layout: q[n][k] with n = 8j + g, k = 128b + 32t + 8w + 4c + 2h + e goes to
        // nibble 4e + 2c + h of word w of lane 4g + t in [j][b]; one pass on the device (int4_repack.h).
        require(q.is_cuda(), "the mma layout is made on the GPU");
        const int64_t n = q.size(0);
        at::Tensor words = at::empty({n / 8, k / 128, 32, 4}, q.options().dtype(at::kInt));
        checkCuda(kernels::packMmaWords(q.data_ptr<uint8_t>(), n, k, words.data_ptr<int32_t>(), streamOf(q)),
                  "packMmaWords");
        part.weight = words;
        part.scalesZeros = scalesZeros.contiguous();
        return part;
    }
    using at::indexing::Slice;
    at::Tensor even = q.index({Slice(), Slice(0, at::indexing::None, 2)});
    at::Tensor odd = q.index({Slice(), Slice(1, at::indexing::None, 2)});
    at::Tensor bytes = at::bitwise_or(at::bitwise_left_shift(even, 4), odd).contiguous();  // [N, K/2]
    part.weight = at::_convert_weight_to_int4pack(bytes, innerKTiles(k));
    part.scalesZeros = scalesZeros.contiguous();
    return part;
}

bool fusesDifferentGroups(const std::vector<Unpacked>& projections, PartKind kind) {
    if (kind != PartKind::Mma || projections.size() < 2 ||
        projections.size() > static_cast<size_t>(kernels::kMaxInputParts))
        return false;
    for (const Unpacked& u : projections) {
        if (u.q.size(1) % 32 != 0) return false;  // a block of 4 n-tiles must not straddle two input copies
    }
    return true;
}

at::Tensor inversePermutation(const at::Tensor& perm) {
    if (!perm.defined()) return perm;
    at::Tensor scatter = at::empty_like(perm);
    scatter.scatter_(-1, perm, at::arange(perm.size(-1), perm.options()).expand_as(perm).contiguous());
    return scatter;
}

at::Tensor Linear::inputScatter() const {
    return parts.size() == 1 ? inversePermutation(parts.front().perm) : at::Tensor();
}

LinearPart denseFused(const std::vector<at::Tensor>& weights) {
    require(!weights.empty(), "no projection to fuse");
    LinearPart part;
    part.weight = at::cat(weights, 0).to(at::kBFloat16).contiguous();
    return part;
}

LinearPart buildPart(const std::vector<Unpacked>& projections, int64_t bits, PartKind kind) {
    bool int4 = bits == 4 && kind != PartKind::Dense;
    for (const Unpacked& u : projections) int4 = int4 && int4LayoutFits(u.q.size(0), u.q.size(1), u.groupSize, kind);
    if (int4) return repackInt4(projections, kind);
    std::vector<at::Tensor> dense;
    for (const Unpacked& u : projections) dense.push_back(dequantize(u));
    return denseFused(dense);
}

std::vector<LinearPart> buildParts(const std::vector<Unpacked>& projections, int64_t bits, PartKind kind) {
    require(!projections.empty(), "no projection to build");
    bool sameGroups = true;
    for (const Unpacked& u : projections) sameGroups = sameGroups && at::equal(u.group, projections.front().group);
    bool int4 = bits == 4 && kind != PartKind::Dense;
    for (const Unpacked& u : projections) int4 = int4 && int4LayoutFits(u.q.size(0), u.q.size(1), u.groupSize, kind);
    if (sameGroups || (int4 && fusesDifferentGroups(projections, kind))) return {buildPart(projections, bits, kind)};
    // Consecutive runs with equal groups, one part each (outputs stay in projection order).
    std::vector<LinearPart> parts;
    std::vector<Unpacked> run;
    for (const Unpacked& u : projections) {
        if (!run.empty() && !at::equal(u.group, run.front().group)) {
            parts.push_back(buildPart(run, bits, kind));
            run.clear();
        }
        run.push_back(u);
    }
    parts.push_back(buildPart(run, bits, kind));
    return parts;
}

namespace {

__nv_bfloat16* bf16Data(const at::Tensor& t) {
    return reinterpret_cast<__nv_bfloat16*>(t.data_ptr());
}

// y = a W^T (an mma part) into y [M, N], a = the part's gather of x (its input copies, [copies * M, K]),
// with a folded norm's epilogue when given.
void int4MmaInto(const LinearPart& part, const at::Tensor& a, at::Tensor& y, const kernels::NormOutput& out = {},
                 const kernels::NormInput& in = {}) {
    const int64_t n = part.weight.size(0) * 8, k = part.weight.size(1) * 128, copies = part.inputCopies();
    const int64_t m = y.size(0);
    require(a.is_contiguous() && a.size(1) == k && y.is_contiguous() && a.size(0) == copies * m && y.size(1) == n,
            "int4 matmul: x must be contiguous [copies * M, K] and y [M, N]");
    kernels::InputParts parts;
    parts.count = static_cast<int>(copies);
    for (int64_t p = 0; p < copies && copies > 1; ++p) {
        const int64_t start = part.partStarts.data_ptr<int64_t>()[p];  // on the host
        require(start % 8 == 0, "input copy boundaries must lie on n-tiles");
        parts.firstTile[p] = static_cast<int>(start / 8);
    }
    checkCuda(kernels::int4Mma(bf16Data(a), part.weight.data_ptr<int32_t>(),
                               reinterpret_cast<const __nv_bfloat162*>(part.scalesZeros.data_ptr()), bf16Data(y),
                               static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                               static_cast<int>(part.groupSize), 0,
                               c10::cuda::getCurrentCUDAStream(a.device().index()).stream(), out, in, parts),
              "int4Mma");
}

}  // namespace

FoldedNorm LinearPart::addToResidual(const at::Tensor& x, bool permuted, at::Tensor& residual,
                                     const at::Tensor& normWeight, const at::Tensor& scatter, double eps) const {
    require(kind == PartKind::Mma, "a folded norm needs an mma part");
    require(x.dim() == 2 && x.size(0) == 1, "a folded norm takes one row");
    const int64_t n = weight.size(0) * 8;
    require(residual.scalar_type() == at::kBFloat16 && residual.is_contiguous() && residual.dim() == 2 &&
                residual.size(0) == x.size(0) && residual.size(1) == n, "residual must be contiguous bf16 [M, N]");
    require(normWeight.scalar_type() == at::kBFloat16 && normWeight.is_contiguous() && normWeight.numel() == n,
            "norm weight must be bf16 [N]");
    require(!scatter.defined() || (scatter.scalar_type() == at::kLong && scatter.is_contiguous() && scatter.size(-1) == n &&
                                   scatter.dim() <= 2), "scatter must be int64 [N] or [copies, N]");
    const int64_t copies = scatter.defined() && scatter.dim() == 2 ? scatter.size(0) : 1;
    at::Tensor a = permuted ? x.contiguous() : gather(x);
    FoldedNorm folded;
    folded.scaled = at::empty({copies, n}, residual.options());
    folded.squares = at::empty({residual.size(0), kernels::normParts(static_cast<int>(n))}, residual.options().dtype(at::kFloat));
    folded.eps = eps;
    kernels::NormOutput out;
    out.weight = bf16Data(normWeight);
    out.scatter = scatter.defined() ? scatter.data_ptr<int64_t>() : nullptr;
    out.copies = static_cast<int>(copies);
    out.scaled = bf16Data(folded.scaled);
    out.squares = folded.squares.data_ptr<float>();
    int4MmaInto(*this, a, residual, out);
    return folded;
}

at::Tensor LinearPart::forwardNormed(const FoldedNorm& folded) const {
    require(kind == PartKind::Mma, "a folded norm needs an mma part");
    require(folded.scaled.size(0) == inputCopies() && folded.squares.scalar_type() == at::kFloat &&
                folded.squares.is_contiguous() && folded.squares.size(0) == 1,
            "a folded norm takes one row (one per input copy): squares float [1, parts]");
    const int width = static_cast<int>(folded.scaled.size(1));
    require(folded.squares.size(1) == kernels::normParts(width), "squares must hold normParts(H) sums per row");
    kernels::NormInput in;
    in.squares = folded.squares.data_ptr<float>();
    in.parts = static_cast<int>(folded.squares.size(1));
    in.width = width;
    in.eps = static_cast<float>(folded.eps);
    at::Tensor y = at::empty({1, weight.size(0) * 8}, folded.scaled.options());
    int4MmaInto(*this, folded.scaled, y, {}, in);
    return y;
}

at::Tensor LinearPart::gather(const at::Tensor& x) const {
    if (!perm.defined()) return x.contiguous();
    if (perm.dim() == 1) return x.index_select(1, perm).contiguous();
    return x.index_select(1, perm.view({-1})).view({x.size(0), perm.size(0), perm.size(1)}).transpose(0, 1)
        .reshape({perm.size(0) * x.size(0), perm.size(1)});
}

at::Tensor LinearPart::forward(const at::Tensor& x, bool permuted) const {
    const int64_t m = x.size(0);
    if (m < minRows) {
        at::Tensor padded = at::zeros({minRows, x.size(1)}, x.options());
        padded.narrow(0, 0, m).copy_(x);
        return forward(padded, permuted).narrow(0, 0, m);
    }
    if (kind == PartKind::Mma && m >= kDequantizedRows) return forwardDequantized(permuted ? x.contiguous() : gather(x));
    if (kind == PartKind::Mma) {
        at::Tensor a = permuted ? x.contiguous() : gather(x);
        at::Tensor y = at::empty({a.size(0) / inputCopies(), weight.size(0) * 8}, a.options());
        int4MmaInto(*this, a, y);
        return y;
    }
    require(inputCopies() == 1, "input copies need an mma part");
    at::Tensor a = perm.defined() && !permuted ? x.index_select(1, perm) : x;
    if (kind == PartKind::Tinygemm) return at::_weight_int4pack_mm(a.contiguous(), weight, groupSize, scalesZeros);
    return at::matmul(a, weight.t());
}

at::Tensor LinearPart::forwardDequantized(const at::Tensor& a) const {
    const int64_t n = weight.size(0) * 8, k = weight.size(1) * 128, copies = inputCopies(), m = a.size(0) / copies;
    at::Tensor w = at::empty({n, k}, a.options());
    checkCuda(kernels::dequantizeMmaWords(weight.data_ptr<int32_t>(), scalesZeros.data_ptr(),
                                          kernels::mmaScalesAreHalf(groupSize), n, k, groupSize, bf16Data(w),
                                          c10::cuda::getCurrentCUDAStream(a.device().index()).stream()),
              "dequantizeMmaWords");
    if (copies == 1) return at::matmul(a, w.t());
    // Copy p feeds the outputs from partStarts[p] to the next start.
    const int64_t* starts = partStarts.data_ptr<int64_t>();  // on the host
    std::vector<at::Tensor> outs;
    for (int64_t p = 0; p < copies; ++p) {
        const int64_t end = p + 1 < copies ? starts[p + 1] : n;
        outs.push_back(at::matmul(a.narrow(0, p * m, m), w.narrow(0, starts[p], end - starts[p]).t()));
    }
    return at::cat(outs, 1);
}

at::Tensor Linear::forwardPermuted(const at::Tensor& x) const {
    if (parts.size() != 1) throw std::logic_error("forwardPermuted needs a single-part linear");
    return parts.front().forward(x, /*permuted=*/true);
}

at::Tensor Linear::forward(const at::Tensor& x) const {
    if (parts.size() == 1) return parts.front().forward(x);
    std::vector<at::Tensor> outs;
    for (const LinearPart& p : parts) outs.push_back(p.forward(x));
    return at::cat(outs, 1);
}

}  // namespace llmops
