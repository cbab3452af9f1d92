package dev.inferless.llm.model;

/**
 * A model whose KV cache is one pool of fixed-size blocks that the scheduler hands out (paged
 * attention): a session reads and writes its positions through its block table, so a session can
 * start on blocks another sequence computed (prefix caching) and grows a block at a time.
 */
public interface PagedKvModel {

    /** Positions per block. */
    int kvBlockSize();

    /** Blocks in the pool (block ids are 0 .. kvBlocks() - 1). */
    int kvBlocks();

    /**
     * A session over {@code blocks} (its block table, in position order) whose first
     * {@code cachedTokens} positions already hold the KV of its first tokens: its position starts
     * there. {@link DecodeSession#append} then takes the tokens after it; {@code
     * DeviceSampling.prefillAndSample} takes the whole prompt (its sampler's penalty sees every
     * token) and computes the positions past it.
     */
    DecodeSession newSession(int maxTokens, int[] blocks, int cachedTokens);

    /** The session's block table grew (the old ids first, unchanged): later positions go to the new blocks. */
    void grow(DecodeSession session, int[] blocks);
}
