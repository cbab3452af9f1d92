package dev.inferless.llm.model;

import dev.inferless.llm.checkpoint.LlamaConfig;

/** A loaded causal language model: weights on a device, ready to open decode sessions. */
public interface LanguageModel extends AutoCloseable {

    LlamaConfig config();

    /** "cpu" or "gpu(0)" etc.: where the weights live. */
    String device();

    /** A new sequence with its own KV cache for up to {@code maxTokens} positions (prompt + output). */
    DecodeSession newSession(int maxTokens);

    @Override
    void close();
}
