package dev.inferless.llm.engine;

import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.PagedKvModel;
import dev.inferless.llm.model.fast.KvPoolSize;
import java.util.Map;

/**
 * The KV cache's shape as the scheduler accounts for it: positions per block, blocks in the pool
 * (0 = enough for every sequence of the batch at the full context window, which never preempts),
 * and whether full blocks are shared between sequences with the same leading tokens.
 */
public record KvCacheSettings(int blockSize, int blocks, boolean prefixCaching) {

    public static final KvCacheSettings DEFAULT = new KvCacheSettings(16, 0, true);

    public KvCacheSettings {
        if (blockSize < 1 || blockSize > 1024) {
            throw new IllegalArgumentException("model.kv_block_size must be in [1, 1024], got " + blockSize);
        }
        if (blocks < 0) {
            throw new IllegalArgumentException("model.kv_cache_blocks must be >= 0 (0 = sized from the batch), got " + blocks);
        }
    }

    /** From a model repo's {@code model:} section: kv_block_size (16), kv_cache_blocks (0), prefix_caching (true). */
    public static KvCacheSettings from(Map<String, Object> model) {
        return new KvCacheSettings(SettingValues.int32(model, "kv_block_size", DEFAULT.blockSize, "model."),
                SettingValues.int32(model, "kv_cache_blocks", DEFAULT.blocks, "model."),
                SettingValues.bool(model, "prefix_caching", DEFAULT.prefixCaching, "model."));
    }

    /**
     * The fast path's pool: these blocks, else the {@code model:} section's kv_cache_bytes (0), else its
     * kv_cache_memory_fraction (0.9) of the GPU memory the weights leave free.
     */
    public KvPoolSize poolSize(Map<String, Object> model) {
        return new KvPoolSize(blockSize, blocks, SettingValues.integer(model, "kv_cache_bytes", 0, "model."),
                SettingValues.number(model, "kv_cache_memory_fraction", KvPoolSize.DEFAULT.memoryFraction(), "model."));
    }

    /** These settings for {@code model}: a paged model's pool is the one its cache was sized to. */
    KvCacheSettings of(LanguageModel model, boolean batchInvariant) {
        // Batch-invariant: no shared prefixes, since a cached prefix's KV was computed by another
        // request's prefill, over other rows. A model without a paged cache cannot start after a
        // cached prefix: it computes every prompt whole, so nothing is found (or waited for).
        boolean sharing = prefixCaching && !batchInvariant && model instanceof PagedKvModel;
        return model instanceof PagedKvModel paged
                ? new KvCacheSettings(paged.kvBlockSize(), paged.kvBlocks(), sharing)
                : new KvCacheSettings(blockSize, blocks, sharing);
    }

    /** The pool for {@code sequences} sequences of up to {@code contextWindow} positions each. */
    BlockManager newBlockManager(int sequences, int contextWindow) {
        int perSequence = (contextWindow + blockSize - 1) / blockSize;
        if (blocks > 0 && blocks < perSequence) {
            throw new IllegalArgumentException("model.kv_cache_blocks: " + blocks + " blocks of " + blockSize
                    + " positions cannot hold one sequence of the context window (" + contextWindow + " positions, "
                    + perSequence + " blocks)");
        }
        long all = (long) perSequence * sequences;
        return new BlockManager(blocks > 0 ? blocks : (int) Math.min(all, Integer.MAX_VALUE / 2), blockSize, prefixCaching);
    }
}
