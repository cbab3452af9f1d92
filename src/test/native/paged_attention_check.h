// The paged KV cache's kernels against the contiguous ones (attention.h): the same contents, laid
// out in a pool under shuffled block ids, must give bit-identical attention outputs and cache writes.
#pragma once

#include <cuda_runtime_api.h>

namespace check {

struct PagedAttentionResult {
    bool attentionEqual;   // decodeAttentionPaged == decodeAttention, bit for bit
    bool cacheWriteEqual;  // ropeAndCacheWritePaged wrote what ropeAndCacheWrite wrote, at the table's slots
    bool queriesEqual;     // and the same rotated queries
    int rows;              // sequences in the step (lengths 1 .. capacity, partial blocks included)
};

// Head dimension d (32, 64 or 128), blockSize a power of two, splits of the attention (1: one pass).
cudaError_t checkPagedAttention(int d, int blockSize, int splits, unsigned seed, PagedAttentionResult* result);

}  // namespace check
