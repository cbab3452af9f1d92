package dev.inferless.llm.model.fast;

import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.sampling.SamplingParams;

import java.util.List;

/** One sequence on the fast path: one of the native model's KV caches, logits or device sampling per step. */
final class FastDecodeSession implements DecodeSession, DeviceSampling {

    private final FastLlamaModel model;
    private final int sequence;
    private final int maxTokens;
    private int position;
    private boolean closed;

    FastDecodeSession(FastLlamaModel model, int sequence, int maxTokens) {
        this.model = model;
        this.sequence = sequence;
        this.maxTokens = maxTokens;
    }

    @Override
    public float[] prefill(int[] tokens) {
        checkPrefill(tokens);
        float[] logits = model.prefill(sequence, tokens);
        position = tokens.length;
        return logits;
    }

    @Override
    public float[] decode(int token) {
        return model.decodeBatch(List.of(this), new int[] {token})[0];
    }

    @Override
    public SampledTokens prefillAndSample(int[] tokens, SamplingParams params, long seed, int logprobs) {
        checkPrefill(tokens);
        SampledTokens next = model.prefillSample(sequence, tokens, params, seed, logprobs);
        position = tokens.length;
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
            model.release(sequence);
        }
    }

    FastLlamaModel model() {
        return model;
    }

    int sequence() {
        return sequence;
    }

    /** Throws unless the session may take one more token now. */
    void checkDecode() {
        if (closed) throw new IllegalStateException("session is closed");
        if (position == 0) throw new IllegalStateException("prefill must come first");
        if (position >= maxTokens) throw new IllegalStateException("maxTokens " + maxTokens + " reached");
    }

    /** After a step that appended one token. */
    void advance() {
        position++;
    }

    private void checkPrefill(int[] tokens) {
        if (closed) throw new IllegalStateException("session is closed");
        if (position != 0) throw new IllegalStateException("prefill runs once, first");
        if (tokens.length == 0) throw new IllegalArgumentException("tokens must not be empty");
        if (tokens.length > maxTokens) {
            throw new IllegalArgumentException("tokens: " + tokens.length + " exceed maxTokens " + maxTokens);
        }
    }
}
