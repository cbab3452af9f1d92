package dev.inferless.llm.model.fast;

import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.sampling.SamplingParams;

import java.util.List;

/**
 * One sequence on the fast path: one of the native model's sequences on its block table, starting
 * after its cached prefix; logits or device sampling per step.
 */
final class FastDecodeSession implements DecodeSession, DeviceSampling {

    private final FastLlamaModel model;
    private final int sequence;
    private final int maxTokens;
    private int position;
    private boolean sampled; // prefillAndSample ran
    private boolean closed;

    FastDecodeSession(FastLlamaModel model, int sequence, int maxTokens, int cachedTokens) {
        this.model = model;
        this.sequence = sequence;
        this.maxTokens = maxTokens;
        this.position = cachedTokens;
    }

    @Override
    public float[] prefill(int[] tokens) {
        checkPrefill(tokens);
        float[] logits = model.prefill(sequence, tokens);
        position = tokens.length;
        return logits;
    }

    /** The tokens at the next positions in one eager pass (the prompt past a cached prefix, or a chunk of it). */
    @Override
    public float[] append(int[] tokens) {
        if (closed) throw new IllegalStateException("session is closed");
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("append needs at least one token");
        if (position + tokens.length > maxTokens) {
            throw new IllegalArgumentException("tokens: " + position + " + " + tokens.length + " exceed maxTokens " + maxTokens);
        }
        float[] logits = model.prefill(sequence, tokens);
        position += tokens.length;
        return logits;
    }

    @Override
    public float[] decode(int token) {
        return model.decodeBatch(List.of(this), new int[] {token})[0];
    }

    /**
     * The whole prompt: the device computes the positions past those in the cache (a cached prefix,
     * chunks appended); its penalty sees every token.
     */
    @Override
    public SampledTokens prefillAndSample(int[] tokens, SamplingParams params, long seed, int logprobs) {
        if (closed) throw new IllegalStateException("session is closed");
        if (sampled) throw new IllegalStateException("prefillAndSample runs once");
        if (tokens.length <= position) {
            throw new IllegalArgumentException("tokens: " + tokens.length + " must extend past the " + position + " in the cache");
        }
        if (tokens.length > maxTokens) {
            throw new IllegalArgumentException("tokens: " + tokens.length + " exceed maxTokens " + maxTokens);
        }
        SampledTokens next = model.prefillSample(sequence, tokens, params, seed, logprobs);
        position = tokens.length;
        sampled = true;
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
