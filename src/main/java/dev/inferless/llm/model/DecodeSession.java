package dev.inferless.llm.model;

/**
 * One sequence being generated: owns its KV cache. Logits come back to the host as float32
 * [vocab] for the last position; sampling happens in Java on the portable path.
 */
public interface DecodeSession extends AutoCloseable {

    /** Runs the prompt; returns the logits of its last position. Only once, first. */
    float[] prefill(int[] tokens);

    /** Appends one token; returns the logits of the new position. */
    float[] decode(int token);

    /**
     * Appends several tokens at once: the prompt (first call, as {@link #prefill}) or the next chunk
     * of it (chunked prefill, so a long prompt shares steps with running decodes). Returns the
     * logits of the last. This default feeds a later chunk one token at a time.
     */
    default float[] append(int[] tokens) {
        if (position() == 0) {
            return prefill(tokens);
        }
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("append needs at least one token");
        }
        float[] logits = null;
        for (int token : tokens) {
            logits = decode(token);
        }
        return logits;
    }

    /** Tokens in the cache so far. */
    int position();

    @Override
    void close();
}
