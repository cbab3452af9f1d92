package dev.inferless.llm.engine;

import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.PagedKvModel;
import dev.inferless.llm.model.fast.DeviceSampling;
import dev.inferless.llm.sampling.Sampler;
import dev.inferless.llm.sampling.SamplingParams;
import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.llm.tokenizer.IncrementalDetokenizer;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One request being generated: its session, sampler, detokenizer and stop sequences, fed one set
 * of logits (or one device-sampled token) per step. The {@link ContinuousBatcher} steps many of
 * them together; the {@link Generator} runs one alone; both step it through the same
 * {@link StepRunner}s and it decides token by token here, so a sequence's output does not depend on
 * what it was batched with.
 */
final class Sequence {

    private final GenerationRequest request;
    private final int[] prompt;
    private final int budget;
    private final BooleanSupplier cancelled;
    private final Tokenizer tokenizer;
    private final Sampler sampler;
    private final BitSet seen;
    private final IncrementalDetokenizer detokenizer;
    private final StopSequences stops;
    private final StringBuilder text = new StringBuilder();
    private final Consumer<String> onText;
    private final long start;
    private DecodeSession session;
    private int outputs;
    private long admitted;
    private long firstToken;
    private long lastToken;
    private double[] gaps = new double[16]; // seconds before each token after the first
    private int gapCount;
    private int nextToken = -1;
    private int launched; // decode steps launched ahead for it whose tokens are not taken yet
    private int[] fill;   // the tokens whose KV must be computed before decoding: the prompt, or after a preemption prompt + output
    private int fed;      // of fill, the tokens in the cache
    private int[] output = new int[16]; // the tokens taken so far, to recompute after a preemption
    private String finish;
    private TokenLogprobs logprobs; // of the token being taken, when the request asks for them
    private TokenLogprobs heldLogprobs; // of the newest token, until the next one or the end

    /** {@code onText} receives text pieces as they become final, on the batcher's thread. */
    Sequence(GenerationRequest request, int[] prompt, int budget, Tokenizer tokenizer, BooleanSupplier cancelled,
             Consumer<String> onText) {
        this.start = System.nanoTime();
        this.request = request;
        this.prompt = prompt;
        this.fill = prompt;
        this.budget = budget;
        this.tokenizer = tokenizer;
        this.cancelled = cancelled;
        this.onText = onText;
        this.sampler = new Sampler(request.sampling(), request.seed());
        this.seen = new BitSet(tokenizer.vocabSize());
        for (int t : prompt) seen.set(t);
        this.detokenizer = tokenizer.newDetokenizer();
        this.stops = new StopSequences(request.stop());
    }

    /** KV positions the sequence reserves: prompt + its output budget. */
    int capacity() {
        return prompt.length + budget;
    }

    /** True while part of the prompt (or, after a preemption, of prompt + output) is not in the cache yet. */
    boolean prefilling() {
        return finish == null && fed < fill.length;
    }

    /** The tokens whose KV the sequence needs before its next decode step: the prompt, or prompt + output but the newest. */
    int[] fillTokens() {
        return fill;
    }

    /** Of {@link #fillTokens}, how many are in the cache. */
    int filled() {
        return fed;
    }

    /** Positions in its cache, those of steps launched ahead included (0 before the session opens). */
    int cachedPositions() {
        return session == null ? 0 : session.position();
    }

    /**
     * Preemption by recompute: drops its cache (session closed, none of its steps in flight) and will
     * run prompt + output but the newest token as a prompt; the newest is fed at the next decode
     * step, so the sampler, detokenizer and stops go on as if nothing happened.
     */
    void preempt() {
        if (launched != 0) throw new IllegalStateException("preempting a sequence with steps in flight");
        closeSession();
        if (outputs > 0) {
            fill = java.util.Arrays.copyOf(prompt, prompt.length + outputs - 1);
            System.arraycopy(output, 0, fill, prompt.length, outputs - 1);
        }
        fed = 0;
    }

    /**
     * Runs the next chunk of the prompt, at most {@code maxTokens} (opening the session first, on
     * {@code blocks} where the model's cache is paged, else {@code blocks} may be null); after the last chunk takes the first token.
     * Returns the prompt tokens run.
     */
    int prefillChunk(LanguageModel model, int maxTokens, BlockManager.BlockTable blocks) {
        if (session == null) {
            if (model instanceof PagedKvModel paged) {
                // The cached prefix's KV is in its blocks already: computing starts after it.
                session = paged.newSession(prompt.length + budget, blocks.ids(), blocks.cachedTokens());
                fed = blocks.cachedTokens();
            } else {
                session = model.newSession(prompt.length + budget);
            }
        }
        boolean recompute = outputs > 0; // after a preemption: the next token is known already
        if (samplesOnDevice()) {
            DeviceSampling device = (DeviceSampling) session;
            // The device samples the first token from the whole prompt's last position: no chunks.
            int n = fill.length - fed;
            fed = fill.length;
            if (cancelIfRequested()) return n;
            // A recompute re-seeds the device's sampler (seed + outputs): seeded sampling stays
            // reproducible, but its stream after a preemption is not the one it would have had.
            int token = device.prefillAndSample(fill, request.sampling(), deviceSeed() + outputs);
            if (!recompute) accept(token);
            return n;
        }
        int n = Math.min(maxTokens, fill.length - fed);
        float[] logits = session.append(Arrays.copyOfRange(fill, fed, fed + n));
        fed += n;
        if (fed == fill.length && !recompute) {
            accept(logits);
        }
        return n;
    }

    DecodeSession session() {
        return session;
    }

    /** The token to feed at the next decode step (valid while not finished). */
    int nextToken() {
        return nextToken;
    }

    boolean finished() {
        return finish != null;
    }

    /** Ends the sequence as cancelled when its signal flipped; true when it did. */
    boolean cancelIfRequested() {
        if (finish == null && cancelled.getAsBoolean()) {
            finish = GenerationResult.CANCELLED;
        }
        return GenerationResult.CANCELLED.equals(finish);
    }

    /**
     * True when the session samples on its device (the fast path): it is stepped with
     * {@link #decodeOnDevice} or in a batch ({@link #acceptSampled}), and only token ids cross to the host.
     */
    boolean samplesOnDevice() {
        // Log-probabilities are computed from the logits on the host: such a request takes its logits
        // there (the others in its batch keep sampling on the device).
        return session instanceof DeviceSampling && request.logprobs() == null;
    }

    /** One decode step on a device-sampling session, alone. */
    void decodeOnDevice() {
        if (cancelIfRequested()) return;
        accept(((DeviceSampling) session).decodeAndSample(nextToken));
    }

    /** Takes the token the device sampled for this sequence in a batched step. */
    void acceptSampled(int token) {
        if (cancelIfRequested()) return;
        accept(token);
    }

    /**
     * Whether one more decode step may be launched for it before the tokens of those in flight are
     * known: it is not finished, and its budget has room for a token past theirs. (A step launched
     * for a sequence that then meets EOS or a stop is wasted, never delivered.)
     */
    boolean canLaunchAhead() {
        return finish == null && outputs + launched < budget;
    }

    /** Counts a step launched for it; the token to feed: its last one, or the device's when a step is in flight. */
    int launch(int tokenOnDevice) {
        return launched++ == 0 ? nextToken : tokenOnDevice;
    }

    /** Takes the token of its oldest launched step, unless it finished meanwhile. */
    void acceptLaunched(int token) {
        launched--;
        if (finish == null) acceptSampled(token);
    }

    private long deviceSeed() {
        return request.seed() != null ? request.seed() : new SplittableRandom().nextLong();
    }

    /** Marks the moment the sequence joined the running batch (its queue time ends). */
    void admitted() {
        admitted = System.nanoTime();
    }

    /** Takes the logits of the newest position: samples a token, or finishes. */
    void accept(float[] logits) {
        if (cancelIfRequested()) return;
        int token = sampler.next(logits, seen);
        if (request.logprobs() != null) logprobs = TokenLogprobs.of(logits, token, request.logprobs().top());
        accept(token);
    }

    /** Takes the next token, however it was chosen: ends at EOS, a stop sequence or the budget. */
    private void accept(int token) {
        if (outputs == output.length) output = Arrays.copyOf(output, outputs * 2);
        output[outputs++] = token;
        long now = System.nanoTime();
        if (outputs > 1) {
            if (gapCount == gaps.length) gaps = java.util.Arrays.copyOf(gaps, gapCount * 2);
            gaps[gapCount++] = (now - lastToken) / 1e9;
        }
        lastToken = now;
        if (outputs == 1) firstToken = lastToken;
        seen.set(token);
        if (token == tokenizer.eosId() && !request.ignoreEos()) {
            finish = GenerationResult.STOP;
            return;
        }
        String piece = detokenizer.add(token);
        if (logprobs != null) {
            // handed on one token late: text the detokenizer holds back until the end belongs to the last token
            deliverLogprobs("");
            heldLogprobs = logprobs.withText(piece);
            logprobs = null;
        }
        emit(stops.accept(piece));
        if (stops.stopped()) {
            finish = GenerationResult.STOP;
        } else if (outputs == budget) {
            finish = GenerationResult.LENGTH;
        } else {
            nextToken = token;
        }
    }

    /** After the last token: releases the session, emits the held-back text, returns the result. */
    GenerationResult complete() {
        closeSession();
        String tail = detokenizer.finish();
        deliverLogprobs(tail);
        emit(stops.accept(tail));
        if (stops.stopped() && finish.equals(GenerationResult.LENGTH)) {
            finish = GenerationResult.STOP;
        }
        emit(stops.flush());
        double ttftMs = outputs == 0 ? 0 : (firstToken - start) / 1e6;
        double decodeSeconds = (lastToken - firstToken) / 1e9;
        double tokensPerSecond = outputs > 1 && decodeSeconds > 0 ? (outputs - 1) / decodeSeconds : 0;
        double queueSeconds = admitted == 0 ? 0 : (admitted - start) / 1e9;
        return new GenerationResult(text.toString(), prompt.length, outputs, finish, ttftMs, tokensPerSecond,
                queueSeconds, outputs > 1 ? decodeSeconds : 0, java.util.Arrays.copyOf(gaps, gapCount));
    }

    private void deliverLogprobs(String tail) {
        if (heldLogprobs != null) {
            request.logprobs().sink().accept(heldLogprobs.withText(heldLogprobs.text() + tail));
            heldLogprobs = null;
        }
    }

    void closeSession() {
        if (session != null) {
            session.close();
            session = null;
        }
    }

    private void emit(String piece) {
        if (!piece.isEmpty()) {
            text.append(piece);
            onText.accept(piece);
        }
    }
}
