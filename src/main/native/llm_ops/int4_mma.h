// Our own 4-bit matmul for decode steps of 1 to 16 sequences (and, tile by tile, for prefill):
// y[M, N] = x[M, K] W^T on tensor cores (mma.sync m16n8k16, bf16 in, float32 accumulate). Each
// weight byte is read once per 16 rows of x (8 rows: the decode case, where the weights are mma's A
// operand) through a cp.async ring in shared memory, and dequantized in registers; a block's 8 warps
// split K and add their partial sums in shared memory. Plain pointers and a stream; no torch here.
//
// Layout ("mma"): qweight int32 [N/8, K/128, 32, 4]. The 16 bytes of lane l = 4g + t for n-tile j and
// k-block b hold row n = 8j + g at inputs 128b + 32t ... 128b + 32t + 31, so that a lane's activations
// are 64 contiguous bytes: word w, nibble p = 4e + 2c + h (bits 4p..4p+3) is
// q[n][128b + 32t + 8w + 4c + 2h + e]; mma's k-chunk 2w + c takes nibbles h = 0 for its k columns
// 2t, 2t + 1 and h = 1 for 2t + 8, 2t + 9 (as B; up to 8 rows, as A: row g for n-tile 2p, g + 8 for
// 2p + 1). scalesZeros [K/G, N] pairs (scale, zero) with w = (q - 8) * scale + zero (torch's int4
// semantics); G in {32, 64, 128, 256}. Pairs are fp16 (half2) for G >= 128, where the kernel applies them
// to float sums and so keeps the checkpoint's fp16 scales exactly, and bf16x2 for G = 32, 64, where it
// dequantizes to bf16 before the MMA (mmaScalesAreHalf).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::kernels {

// Whether the layout takes this shape: K % 128 == 0, N % 8 == 0, G in {32, 64, 128, 256}.
bool int4MmaFits(int64_t n, int64_t k, int64_t groupSize);

// Whether the (scale, zero) pairs of group size G are fp16 (else bf16).
inline bool mmaScalesAreHalf(int64_t groupSize) { return groupSize >= 128; }

// n-tiles of 8 outputs per block for M rows (measured fastest on an H100, docs/fast-path.md, "The int4 matmul").
int defaultTilesPerBlock(int m);

// The RMSNorm between two of these matmuls in a decode step, folded into them: with h the residual
// stream and w the norm's weight, W (w * h / rms(h)) = (W (w * h)) / rms(h) row by row, so the matmul
// that adds to h emits w * h and the sums of h^2 (NormOutput), and the one after it divides its rows
// by rms(h) at the end (NormInput). No kernel runs between them.
// One row only (decode of one sequence: measured faster there, slower with more rows;
// docs/fast-path.md, "The RMSNorm folded into the matmuls").
struct NormOutput {
    const __nv_bfloat16* weight = nullptr;  // the norm's w [N]; null: no norm output (y is plain)
    const int64_t* scatter = nullptr;       // [copies, N]: column c of copy p goes to scatter[p N + c] (the consumer's
                                            // gathers, inverted); may be null (one copy in order)
    int copies = 1;                         // the consumer's input copies (InputParts), 1 to kMaxInputParts
    __nv_bfloat16* scaled = nullptr;        // [copies, N]: bf16(w * h), each copy in its own order
    float* squares = nullptr;               // [1, normParts(N)]: sum of h^2 over each block's columns
};
struct NormInput {
    const float* squares = nullptr;  // a NormOutput's; null: no scaling
    int parts = 0;                   // normParts of the producer's N
    int width = 0;                   // the producer's N (h's width)
    float eps = 0.f;
};

// Projections fused along N whose act-order permutations differ (GPTQ checkpoints that quantized q, k
// and v, or gate and up, in different orders): x holds one gathered copy [M, K] per part, back to back,
// and part p's outputs (n-tiles from firstTile[p] on) read copy p. Each part's width is a multiple of
// 32 columns, so no block straddles two parts.
constexpr int kMaxInputParts = 4;
struct InputParts {
    int count = 1;
    int firstTile[kMaxInputParts] = {0, 0, 0, 0};
};

// Partial sums of squares per row that a NormOutput of width n writes (one per block of the default tiles).
int normParts(int n);

// y bf16 [M, N] (row-major) from x bf16 [M, K] (row-major). tilesPerBlock: 2, 4, or 0 for the default.
// With out.weight set (M = 1, default tiles), y is the residual stream h: h = bf16(h + bf16(x W^T)) in
// place, plus `out`. With in.squares set (M = 1, default tiles), y is divided by rms of the producer's h.
// With parts.count > 1, x is [parts.count, M, K] (see InputParts).
cudaError_t int4Mma(const __nv_bfloat16* x, const int32_t* qweight, const __nv_bfloat162* scalesZeros,
                    __nv_bfloat16* y, int m, int n, int k, int groupSize, int tilesPerBlock, cudaStream_t stream,
                    const NormOutput& out = {}, const NormInput& in = {}, const InputParts& parts = {});

}  // namespace llmops::kernels
