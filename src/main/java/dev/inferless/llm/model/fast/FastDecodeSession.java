package dev.inferless.llm.model.fast;

import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.ops.NativeLlm;

/** One sequence on the fast path: the native model's KV cache, logits or device sampling per step. */
final class FastDecodeSession implements DecodeSession, DeviceSampling {

    private final long model;
    private final int maxTokens;
    private final Runnable onClose;
    private int position;
    private boolean closed;

    FastDecodeSession(long model, int maxTokens, Runnable onClose) {
        this.model = model;
        this.maxTokens = maxTokens;
        this.onClose = onClose;
    }

    @Override
    public float[] prefill(int[] tokens) {
        checkPrefill(tokens);
        float[] logits = NativeLlm.prefill(model, tokens);
        position = tokens.length;
        return logits;
    }

    @Override
    public float[] decode(int token) {
        checkDecode();
        float[] logits = NativeLlm.decode(model, token);
        position++;
        return logits;
    }

    @Override
    public int prefillAndSample(int[] tokens, SamplingSettings s) {
        checkPrefill(tokens);
        int next = NativeLlm.prefillSample(model, tokens, s.temperature(), s.topK(), s.topP(), s.repetitionPenalty(), s.seed());
        position = tokens.length;
        return next;
    }

    @Override
    public int decodeAndSample(int token) {
        checkDecode();
        int next = NativeLlm.decodeSample(model, token);
        position++;
        return next;
    }

    @Override
    public int position() {
        return position;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            onClose.run();
        }
    }

    private void checkPrefill(int[] tokens) {
        if (closed) throw new IllegalStateException("session is closed");
        if (position != 0) throw new IllegalStateException("prefill runs once, first");
        if (tokens.length == 0) throw new IllegalArgumentException("tokens must not be empty");
        if (tokens.length > maxTokens) {
            throw new IllegalArgumentException("tokens: " + tokens.length + " exceed maxTokens " + maxTokens);
        }
    }

    private void checkDecode() {
        if (closed) throw new IllegalStateException("session is closed");
        if (position == 0) throw new IllegalStateException("prefill must come first");
        if (position >= maxTokens) throw new IllegalStateException("maxTokens " + maxTokens + " reached");
    }
}
