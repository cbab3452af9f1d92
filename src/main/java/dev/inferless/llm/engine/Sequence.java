package dev.inferless.llm.engine;

import dev.inferless.api.CancellationToken;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.DeviceSampling;
import dev.inferless.llm.sampling.Sampler;
import dev.inferless.llm.sampling.SamplingParams;
import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.llm.tokenizer.IncrementalDetokenizer;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;
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
    private final CancellationToken cancellation;
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
    private int fed;
    private String finish;
    private TokenLogprobs logprobs; // of the token being taken, when the request asks for them
    private TokenLogprobs heldLogprobs; // of the newest token, until the next one or the end

    /** {@code onText} receives text pieces as they become final, on the batcher's thread. */
    Sequence(GenerationRequest request, int[] prompt, int budget, Tokenizer tokenizer, CancellationToken cancellation,
             Consumer<String> onText) {
        this.start = System.nanoTime();
        this.request = request;
        this.prompt = prompt;
        this.budget = budget;
        this.tokenizer = tokenizer;
        this.cancellation = cancellation;
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

    /** True while part of the prompt is not in the cache yet. */
    boolean prefilling() {
        return finish == null && fed < prompt.length;
    }

    /**
     * Runs the next chunk of the prompt, at most {@code maxTokens} (opening the session first); after
     * the last chunk takes the first token. Returns the prompt tokens run.
     */
    int prefillChunk(LanguageModel model, int maxTokens) {
        if (session == null) {
            session = model.newSession(prompt.length + budget);
        }
        if (samplesOnDevice()) {
            DeviceSampling device = (DeviceSampling) session;
            // The device samples the first token from the whole prompt's last position: no chunks.
            int n = prompt.length - fed;
            fed = prompt.length;
            if (!cancelIfRequested()) accept(device.prefillAndSample(prompt, request.sampling(), deviceSeed()));
            return n;
        }
        int n = Math.min(maxTokens, prompt.length - fed);
        float[] logits = session.append(Arrays.copyOfRange(prompt, fed, fed + n));
        fed += n;
        if (fed == prompt.length) {
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

    /** Ends the sequence as cancelled once its token is; true when it did. */
    boolean cancelIfRequested() {
        if (finish == null && cancellation.isCancelled()) {
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
        outputs++;
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
