// Linear projections for the fast decode path: GPTQ/AWQ 4-bit weights repacked once, on the GPU,
// into torch's int4 ("tinygemm") layout, or dense bf16 where that layout does not fit.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace llmops {

// How a part stores its weight. Values cross JNI: keep them stable.
enum class PartKind : int64_t {
    Dense = 0,     // weight bf16 [N, K]
    Tinygemm = 1,  // torch's int4 layout: weight from _convert_weight_to_int4pack, scalesZeros bf16 [K/G, N, 2]
    Mma = 2,       // ours (int4_mma.h): weight int32 [N/8, K/128, 32, 4], scalesZeros [K/G, N, 2] (fp16 for G >= 128)
};

// The int4 kind the server's repacking builds: ours, as fast as torch's kernel for one sequence, 1.9x
// its throughput for 16, and more accurate (docs/fast-path.md, "The int4 matmul"). Tinygemm is built
// only by fast_check, as the kernel ours is checked and timed against.
constexpr PartKind kServingInt4Kind = PartKind::Mma;

// The input of a matmul whose RMSNorm was folded into the matmul before it (int4_mma.h): w * h,
// its columns in the consumer's input order, and the sums of h^2 the consumer's 1 / rms(h) comes from.
struct FoldedNorm {
    at::Tensor scaled;   // bf16 [M, H]
    at::Tensor squares;  // float [M, parts]
    double eps = 0;
};

// Rows from which an mma part runs dequantized (prompts, not decode steps of up to 64 sequences).
constexpr int64_t kDequantizedRows = 128;

// One projection, or several fused along N. Fused projections share their input order, or (mma only,
// GPTQ act-order with a permutation per projection) each reads its own gathered copy of the input:
// perm [P, K] and partStarts, kernels::InputParts.
struct LinearPart {
    at::Tensor weight;
    at::Tensor scalesZeros;  // int4 kinds: (scale, zero) with w = (q - 8) * scale + zero; dense: undefined
    at::Tensor perm;         // int64 [K] (or [P, K]): activation columns to gather (act-order); undefined = identity
    int64_t groupSize = 0;   // int4 kinds: input features per scale
    PartKind kind = PartKind::Dense;
    at::Tensor partStarts;   // int64 [P] on the host: the first output column of each input copy; undefined: one copy
    // An input of fewer rows runs padded to this many (0: as it is). Batch-invariant steps set it on
    // parts whose kernel is chosen by the row count (dense: cuBLAS; tinygemm: torch's), to run them at one.
    int64_t minRows = 0;

    bool isInt4() const { return kind != PartKind::Dense; }
    // Gathered copies of the input the matmul reads (P for a [P, K] perm, else 1).
    int64_t inputCopies() const { return perm.defined() && perm.dim() == 2 ? perm.size(0) : 1; }
    // x [M, K] -> the matmul's input: [M, K] gathered by perm, or the P copies back to back [P * M, K].
    at::Tensor gather(const at::Tensor& x) const;
    // x bf16 [M, K] -> bf16 [M, N]; permuted: x is already gather(x).
    at::Tensor forward(const at::Tensor& x, bool permuted = false) const;
    // Mma parts: the weight dequantized to bf16 once, then cuBLAS (a = gather(x)); forward takes it from
    // kDequantizedRows rows on, where the int4 kernel (one pass over the weight per 16 rows) loses.
    at::Tensor forwardDequantized(const at::Tensor& a) const;
    // Mma parts and one row only (a folded RMSNorm, int4_mma.h). residual += x W^T in place (as bf16(residual +
    // bf16(x W^T))); returns the next norm's input: normWeight * residual, column c of copy p at scatter[p][c]
    // (scatter [K] or [P, K], the consumer's inputScatter(); may be undefined).
    FoldedNorm addToResidual(const at::Tensor& x, bool permuted, at::Tensor& residual, const at::Tensor& normWeight,
                             const at::Tensor& scatter, double eps) const;
    // The forward pass on a folded norm's input (already in this part's input order).
    at::Tensor forwardNormed(const FoldedNorm& in) const;
};

// A projection made of parts whose outputs are concatenated (parts differ when fused
// projections have different act-order permutations).
struct Linear {
    std::vector<LinearPart> parts;
    at::Tensor forward(const at::Tensor& x) const;
    // The gather the producer of the input may fuse (one part, one input copy; undefined otherwise) ...
    at::Tensor inputPermutation() const {
        return parts.size() == 1 && parts.front().inputCopies() == 1 ? parts.front().perm : at::Tensor();
    }
    // Where a folded norm writes this linear's input copies (one part; inverse of its perm, undefined if none).
    at::Tensor inputScatter() const;
    // ... and the forward pass on an input already gathered by it.
    at::Tensor forwardPermuted(const at::Tensor& x) const;
    // Whether an RMSNorm can be folded into this linear's epilogue or scaling (one mma part).
    bool foldsNorm() const { return parts.size() == 1 && parts.front().kind == PartKind::Mma; }
};

// Raw GPTQ tensors of one projection, all on the target device.
struct GptqTensors {
    at::Tensor qweight;  // int32 [K*b/32, N]
    at::Tensor qzeros;   // int32 [ceil(K/G), N*b/32]
    at::Tensor scales;   // f16 [ceil(K/G), N]
    at::Tensor gIdx;     // int32 [K]; undefined means k / G
};

// Raw AWQ GEMM tensors of one projection.
struct AwqTensors {
    at::Tensor qweight;  // int32 [K, N/8], interleaved nibbles
    at::Tensor qzeros;   // int32 [K/G, N/8], interleaved nibbles
    at::Tensor scales;   // f16 [K/G, N]
};

// Unpacked integer form, in the checkpoint's row order: q uint8 [K, N], zeros int32 [groups, N]
// (true zero points), scales f32 [groups, N], group int64 [K] (group of each input feature).
struct Unpacked {
    at::Tensor q, zeros, scales, group;
    int64_t groupSize;  // input features per group (K where the checkpoint says -1)
};

Unpacked unpackGptq(const GptqTensors& t, int64_t bits, int64_t groupSize, bool v2);
Unpacked unpackAwq(const AwqTensors& t, int64_t groupSize);

// Projections fused along N into one int4 part. All must have the same input-feature groups, except for
// mma parts (up to kernels::kMaxInputParts, each N a multiple of 32: one input copy per projection).
LinearPart repackInt4(const std::vector<Unpacked>& projections, PartKind kind);
// Whether projections with different groups fuse into one part of this kind (mma: input copies).
bool fusesDifferentGroups(const std::vector<Unpacked>& projections, PartKind kind);
// Dequantized bf16 [N, K] (fallback where the int4 layout does not fit, and 8-bit GPTQ).
at::Tensor dequantize(const Unpacked& u);
LinearPart denseFused(const std::vector<at::Tensor>& weights);  // each [N_i, K], any float type

// The part the fast path uses: int4 where the layout fits and bits == 4, else dequantized bf16.
LinearPart buildPart(const std::vector<Unpacked>& projections, int64_t bits, PartKind kind);
// Projections over one input as few parts as their storage allows: one (equal groups, or mma input
// copies), else one per run of projections with equal groups.
std::vector<LinearPart> buildParts(const std::vector<Unpacked>& projections, int64_t bits, PartKind kind);

// Whether the int4 kind takes this shape. Both need N % 8 == 0, K % 32 == 0 and a group size (K where
// -1) that is a multiple of 32 dividing K and divisible by one of 32..256; mma also K % 128 == 0.
bool int4LayoutFits(int64_t k, int64_t n, int64_t groupSize, PartKind kind);

// The scatter that undoes a part's input permutation (column perm[i] goes to i), row by row for [P, K]:
// where a folded norm's producer writes the consumer's input (addToResidual). Undefined for an undefined perm.
at::Tensor inversePermutation(const at::Tensor& perm);

}  // namespace llmops
