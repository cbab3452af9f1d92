// Small fused CUDA kernels for the decode step: each replaces a chain of 5-20 ATen kernels whose
// launches dominated the step (see docs/fast-path.md). Plain pointers and a stream; no torch here.
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::kernels {

// out[i] = embed[t] (rows of width h) with t = tokens[i], or lastTokens[sequences[i]] where tokens[i]
// is negative: the token a sequence's previous step sampled, still on the device.
cudaError_t embedTokens(const __nv_bfloat16* embed, const int64_t* tokens, const int64_t* lastTokens,
                        const int64_t* sequences, __nv_bfloat16* out, int m, int h, cudaStream_t stream);

// Whether addRmsNorm takes rows of width h (up to 16384).
bool rmsNormSupports(int h);

// residual += delta (when delta is not null), then out[m][j] = w[s] * bf16(x[s] * rsqrt(mean(x^2) + eps))
// with s = perm[j] (perm may be null), x = the updated residual row m. Rows: m, width h.
cudaError_t addRmsNorm(__nv_bfloat16* residual, const __nv_bfloat16* delta, const __nv_bfloat16* weight,
                       const int64_t* perm, __nv_bfloat16* out, int rows, int h, float eps, cudaStream_t stream);

// out[i][j] = bf16(bf16(silu(g[i][s])) * u[i][s]) with s = perm[j] (perm may be null);
// gateUp [m, 2f] holds gate then up.
cudaError_t siluMul(const __nv_bfloat16* gateUp, const int64_t* perm, __nv_bfloat16* out, int m, int f,
                    cudaStream_t stream);

}  // namespace llmops::kernels
