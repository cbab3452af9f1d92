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

    /** Tokens in the cache so far. */
    int position();

    @Override
    void close();
}
