package dev.inferless.llm.model.fast;

import dev.inferless.llm.checkpoint.LlamaConfig;

/**
 * How large the fast path's paged KV cache is: {@code blockSize} positions per block, and either a
 * fixed number of blocks ({@code model.kv_cache_blocks}), a byte budget ({@code model.kv_cache_bytes})
 * or a fraction of the GPU memory left free after the weights ({@code model.kv_cache_memory_fraction},
 * 0.9), in that order of precedence (read by KvCacheSettings.poolSize). Never more blocks than every
 * sequence at the full context window needs.
 */
public record KvPoolSize(int blockSize, int blocks, long bytes, double memoryFraction) {

    public static final KvPoolSize DEFAULT = new KvPoolSize(16, 0, 0, 0.9);

    public KvPoolSize {
        if (blocks < 0) throw new IllegalArgumentException("model.kv_cache_blocks must be >= 0, got " + blocks);
        if (bytes < 0) throw new IllegalArgumentException("model.kv_cache_bytes must be >= 0 (0 = by memory fraction), got " + bytes);
        if (!(memoryFraction > 0 && memoryFraction <= 1)) {
            throw new IllegalArgumentException("model.kv_cache_memory_fraction must be in (0, 1], got " + memoryFraction);
        }
    }

    /** Bytes one block takes: K and V of every layer, bf16. */
    public long bytesPerBlock(LlamaConfig c) {
        return 2L * c.numLayers() * c.numKvHeads() * blockSize * c.headDim() * 2;
    }

    /** Blocks in the pool, given the free GPU memory after the weights and the most sequences at once. */
    public int blocksFor(LlamaConfig c, long freeBytes, int sequences) {
        // The portable path takes any block size; the paged kernels find a position's block by shifting.
        if (blockSize < 1 || blockSize > 1024 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("model.kv_block_size must be a power of two in [1, 1024] on the fast path, got "
                    + blockSize);
        }
        long perSequence = (c.maxPositions() + blockSize - 1) / blockSize;
        long enough = perSequence * sequences; // more would never be used
        long n;
        if (blocks > 0) {
            n = blocks;
        } else {
            long budget = bytes > 0 ? bytes : (long) (freeBytes * memoryFraction);
            n = Math.min(budget / bytesPerBlock(c), enough);
            if (n < 1) {
                throw new IllegalArgumentException((bytes > 0 ? "model.kv_cache_bytes: " + bytes
                        : "model.kv_cache_memory_fraction: " + memoryFraction + " of " + freeBytes + " free bytes")
                        + " holds no KV block of " + bytesPerBlock(c) + " bytes");
            }
        }
        return (int) Math.min(n, Integer.MAX_VALUE / 2);
    }
}
