// Our own 4-bit kernel for decode (M = 1): a GEMV that reads each weight byte once, with the
// act-order gather of the activation folded into its shared-memory load, plus a dequantizer for
// prefill (M > 1: bf16 weights on the fly, then cuBLAS). Plain pointers and a stream; no torch.
//
// Layout ("gemv"): qweight uint32 [N, K/8], nibble j (bits 4j..4j+3) of word w of row n = q[n][8w + j];
// scalesZeros bf16x2 [N, K/G] = (scale, zero) with w = (q - 8) * scale + zero (torch's int4 semantics).
#pragma once

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace llmops::kernels {

// y[n] = sum_k x[perm[k]] * w[n][k] for one activation row (perm may be null). K % 32 == 0, G % 32 == 0.
cudaError_t int4Gemv(const __nv_bfloat16* x, const int64_t* perm, const uint32_t* qweight,
                     const __nv_bfloat162* scalesZeros, __nv_bfloat16* y, int n, int k, int groupSize,
                     cudaStream_t stream);

// w bf16 [N, K] from the gemv layout.
cudaError_t int4Dequantize(const uint32_t* qweight, const __nv_bfloat162* scalesZeros, __nv_bfloat16* w, int n, int k,
                           int groupSize, cudaStream_t stream);

}  // namespace llmops::kernels
