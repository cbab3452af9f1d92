package dev.inferless.llm.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * The KV cache as fixed-size blocks of {@code blockSize} token positions from one pool (vLLM's paged
 * attention, nano-vllm's block manager): a sequence holds a {@link BlockTable} that grows a block at
 * a time and is freed on retirement or preemption, so memory follows what sequences use, not their
 * worst case.
 *
 * <p>Prefix caching: a full block whose positions are computed is keyed by (its parent block's key,
 * its tokens) and stays findable after its sequence leaves. A new sequence takes the longest run of
 * cached full blocks its tokens start with (reference counts share them); only the rest is computed.
 * Unreferenced cached blocks wait in least-recently-used order and are taken back only when no free
 * block is left. A full block a running sequence is still computing is known by its key too
 * ({@link #prefixBeingComputed}), so a request with the same prefix can wait for it rather than
 * compute it a second time. Knows no tensors: the engine's cache follows the block ids. The batch's
 * thread alone changes it; the usage and the counters may be read from any thread.
 */
final class BlockManager {

    /** A sequence's blocks, in position order, and how many of its leading tokens came from the prefix cache. */
    static final class BlockTable {
        private int[] ids = new int[8];
        private int count;
        private int hashedBlocks;   // leading full blocks already keyed in the prefix cache (or found there)
        private long lastKey;       // hash of the last keyed block, the parent of the next
        private int cachedTokens;
        private final List<BlockKey> computing = new ArrayList<>(); // its full blocks not cached yet, by key

        /** The block ids, in position order. */
        int[] ids() {
            return Arrays.copyOf(ids, count);
        }

        int blocks() {
            return count;
        }

        /** Leading tokens whose KV was found in the prefix cache at allocation: computing starts after them. */
        int cachedTokens() {
            return cachedTokens;
        }

        private void add(int id) {
            if (count == ids.length) ids = Arrays.copyOf(ids, count * 2);
            ids[count++] = id;
        }
    }

    /** A full block's identity in the prefix cache: its parent's key hash and its own tokens. */
    private record BlockKey(long parent, int[] tokens) {
        @Override
        public boolean equals(Object o) {
            return o instanceof BlockKey k && k.parent == parent && Arrays.equals(k.tokens, tokens);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(hash());
        }

        long hash() {
            long h = parent ^ 0x9E3779B97F4A7C15L;
            for (int t : tokens) h = mix(h + t);
            return h;
        }

        private static long mix(long z) { // splitmix64's finalizer
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }

    private final int blockSize;
    private final int totalBlocks;
    private final boolean prefixCaching;
    private final int[] refs;
    private final BlockKey[] keyOf;                                   // the key of a cached block, else null
    private final ArrayDeque<Integer> free = new ArrayDeque<>();      // blocks holding nothing
    private final LinkedHashSet<Integer> evictable = new LinkedHashSet<>(); // cached, unreferenced, oldest first
    private final Map<BlockKey, Integer> cached = new HashMap<>();
    private final Map<BlockKey, BlockTable> computing = new HashMap<>(); // full blocks a table will compute, by key
    private volatile int used;          // blocks referenced by a table
    private volatile long queriedTokens;
    private volatile long hitTokens;

    BlockManager(int totalBlocks, int blockSize, boolean prefixCaching) {
        if (totalBlocks < 1) throw new IllegalArgumentException("the KV cache needs at least one block, got " + totalBlocks);
        if (blockSize < 1) throw new IllegalArgumentException("model.kv_block_size must be at least 1, got " + blockSize);
        this.blockSize = blockSize;
        this.totalBlocks = totalBlocks;
        this.prefixCaching = prefixCaching;
        this.refs = new int[totalBlocks];
        this.keyOf = new BlockKey[totalBlocks];
        for (int i = 0; i < totalBlocks; i++) free.add(i);
    }

    int blockSize() {
        return blockSize;
    }

    int totalBlocks() {
        return totalBlocks;
    }

    /** Blocks a sequence of {@code tokens} positions needs. */
    int blocksFor(int tokens) {
        return (tokens + blockSize - 1) / blockSize;
    }

    /** Blocks referenced by sequences, as a share of the pool, 0 to 1 (cached unreferenced blocks count as free). */
    double usage() {
        return (double) used / totalBlocks;
    }

    /** Prompt tokens looked up in the prefix cache so far (vLLM's prefix_cache_queries). */
    long queriedTokens() {
        return queriedTokens;
    }

    /** Of those, tokens found cached (vLLM's prefix_cache_hits). */
    long hitTokens() {
        return hitTokens;
    }

    /** True when {@link #allocate} would succeed for {@code tokens} now. */
    boolean canAllocate(int[] tokens) {
        int hits = 0, hitsEvictable = 0;
        for (int id : lookup(tokens)) {
            hits++;
            if (refs[id] == 0) hitsEvictable++;
        }
        // A reused block that waits for eviction stops being evictable, so it is no more available for the rest.
        return blocksFor(tokens.length) - hits <= free.size() + evictable.size() - hitsEvictable;
    }

    /**
     * A new table covering {@code tokens} positions: the longest run of cached full blocks they start
     * with (at most all but the last token, whose logits the caller needs), then fresh blocks. Null
     * when the pool has too few blocks left; then nothing changed.
     */
    BlockTable allocate(int[] tokens) {
        if (!canAllocate(tokens)) return null;
        BlockTable table = new BlockTable();
        for (int id : lookup(tokens)) {
            if (refs[id]++ == 0) {
                evictable.remove(id);
                used++;
            }
            table.add(id);
            table.lastKey = keyOf[id].hash();
        }
        table.hashedBlocks = table.count;
        table.cachedTokens = table.count * blockSize;
        queriedTokens += tokens.length;
        hitTokens += table.cachedTokens;
        grow(table, tokens.length);
        if (prefixCaching) {
            long parent = table.lastKey;
            for (int b = table.hashedBlocks; b < tokens.length / blockSize; b++) {
                BlockKey key = blockKey(parent, tokens, b);
                if (computing.putIfAbsent(key, table) == null) table.computing.add(key);
                parent = key.hash();
            }
        }
        return table;
    }

    /**
     * True when the first full block of {@code tokens} that is not cached is one a running sequence is
     * computing now: the same prefix, whose KV will be in the cache once that sequence's prompt has
     * run that far.
     */
    boolean prefixBeingComputed(int[] tokens) {
        if (!prefixCaching || computing.isEmpty()) return false;
        int[] found = lookup(tokens);
        if (found.length == (tokens.length - 1) / blockSize) return false; // every full block it may take is cached
        long parent = found.length == 0 ? 0 : keyOf[found[found.length - 1]].hash();
        return computing.containsKey(blockKey(parent, tokens, found.length));
    }

    /** The key of block {@code b} of {@code tokens}, whose parent block's key hashes to {@code parent} (0: none). */
    private BlockKey blockKey(long parent, int[] tokens, int b) {
        return new BlockKey(parent, Arrays.copyOfRange(tokens, b * blockSize, (b + 1) * blockSize));
    }

    /** Grows {@code table} to cover {@code tokens} positions; false (nothing taken) when the pool has too few blocks. */
    boolean grow(BlockTable table, int tokens) {
        int needed = blocksFor(tokens) - table.count;
        if (needed > free.size() + evictable.size()) return false;
        for (int i = 0; i < needed; i++) table.add(take());
        return true;
    }

    /**
     * Keys the table's full blocks whose positions are now computed, {@code tokens[0..computed)}, in
     * the prefix cache, so later sequences starting with the same tokens find them. A block whose key
     * another block already holds stays private.
     */
    void cacheComputed(BlockTable table, int[] tokens, int computed) {
        if (!prefixCaching) return;
        int full = Math.min(computed, tokens.length) / blockSize;
        for (int b = table.hashedBlocks; b < full; b++) {
            BlockKey key = blockKey(table.lastKey, tokens, b);
            int id = table.ids[b];
            if (keyOf[id] == null && !cached.containsKey(key)) {
                cached.put(key, id);
                keyOf[id] = key;
            }
            computing.remove(key, table);
            table.lastKey = key.hash();
            table.hashedBlocks = b + 1;
        }
    }

    /** Returns the table's blocks: cached ones wait for reuse (newest last), the others are free again. */
    void free(BlockTable table) {
        for (int i = table.count - 1; i >= 0; i--) { // tail first: a prefix outlives its continuations in LRU order
            int id = table.ids[i];
            if (--refs[id] > 0) continue;
            used--;
            if (keyOf[id] != null) {
                evictable.add(id);
            } else {
                free.add(id);
            }
        }
        table.count = 0;
        table.hashedBlocks = 0;
        for (BlockKey key : table.computing) computing.remove(key, table);
        table.computing.clear();
    }

    /** The cached full blocks {@code tokens} start with, leaving at least the last token to compute. */
    private int[] lookup(int[] tokens) {
        if (!prefixCaching) return new int[0];
        int full = (tokens.length - 1) / blockSize;
        int[] found = new int[full];
        long parent = 0;
        int n = 0;
        for (; n < full; n++) {
            BlockKey key = blockKey(parent, tokens, n);
            Integer id = cached.get(key);
            if (id == null) break;
            found[n] = id;
            parent = key.hash();
        }
        return Arrays.copyOf(found, n);
    }

    /** A block holding nothing: a free one, else the least recently used cached one, dropped from the cache. */
    private int take() {
        Integer id = free.poll();
        if (id == null) {
            Iterator<Integer> oldest = evictable.iterator();
            id = oldest.next();
            oldest.remove();
            cached.remove(keyOf[id]);
            keyOf[id] = null;
        }
        refs[id] = 1;
        used++;
        return id;
    }
}
