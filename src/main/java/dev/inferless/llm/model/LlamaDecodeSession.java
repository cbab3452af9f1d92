package dev.inferless.llm.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.util.function.Function;

/**
 * One sequence on a {@link LlamaModel}: its KV cache lives in the session's NDManager; every step
 * runs in a sub-manager closed in finally, so nothing a step allocates outlives it, on any path.
 * The position only advances when a step succeeds; a failed step's partial cache writes lie beyond
 * it and are overwritten by the next step.
 */
final class LlamaDecodeSession implements DecodeSession {

    private final LlamaModel model;
    private final NDManager manager;
    private final KvCache cache;
    private int position;
    private boolean prefilled;
    private boolean closed;

    LlamaDecodeSession(LlamaModel model, int maxTokens) {
        this.model = model;
        this.manager = model.manager().newSubManager();
        try {
            this.cache = model.newCache(manager, maxTokens);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public float[] prefill(int[] tokens) {
        ensureOpen();
        if (prefilled) {
            throw new IllegalStateException("prefill runs once, first; this session is at position " + position);
        }
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("prefill needs at least one token");
        }
        for (int token : tokens) {
            checkToken(token);
        }
        checkRoom(tokens.length);
        float[] logits = step(step -> model.embed(step, tokens));
        position += tokens.length;
        prefilled = true;
        return logits;
    }

    /** Prefill, or a later chunk of the prompt in one forward at the current position (causal within the chunk). */
    @Override
    public float[] append(int[] tokens) {
        if (!prefilled) {
            return prefill(tokens);
        }
        ensureOpen();
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("append needs at least one token");
        }
        for (int token : tokens) {
            checkToken(token);
        }
        checkRoom(tokens.length);
        float[] logits = step(step -> model.embed(step, tokens));
        position += tokens.length;
        return logits;
    }

    @Override
    public float[] decode(int token) {
        ensureOpen();
        if (!prefilled) {
            throw new IllegalStateException("decode before prefill: run the prompt first");
        }
        checkToken(token);
        checkRoom(1);
        float[] logits = step(step -> model.embed(step, token));
        position += 1;
        return logits;
    }

    private float[] step(Function<NDManager, NDArray> input) {
        try (NDManager step = manager.newSubManager()) {
            NDArray logits = model.forward(step, input.apply(step), position, cache);
            return logits.toType(DataType.FLOAT32, false).toDevice(Device.cpu(), false).toFloatArray();
        }
    }

    /** Checks that this session can take one more token in a batched step of {@code owner}. */
    KvCache readyForBatchedDecode(LlamaModel owner, int token) {
        ensureOpen();
        if (model != owner) {
            throw new IllegalArgumentException("a session of another model cannot join this model's batch");
        }
        if (!prefilled) {
            throw new IllegalStateException("decode before prefill: run the prompt first");
        }
        checkToken(token);
        checkRoom(1);
        return cache;
    }

    /** After a successful batched step: the new token is in the cache. */
    void advanceOne() {
        position += 1;
    }

    private void checkToken(int token) {
        int vocab = model.config().vocabSize();
        if (token < 0 || token >= vocab) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + vocab + ")");
        }
    }

    private void checkRoom(int newTokens) {
        if (position + newTokens > cache.maxTokens()) {
            throw new IllegalArgumentException("context overflow: " + newTokens + " new token(s) at position "
                    + position + " exceed the session's maxTokens " + cache.maxTokens());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("decode session is closed");
        }
        model.ensureOpen();
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }
}
