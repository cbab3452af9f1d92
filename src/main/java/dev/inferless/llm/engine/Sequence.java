package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import dev.inferless.api.CancellationToken;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.fast.DeviceSampling;
import dev.inferless.llm.sampling.Sampler;
import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.BitSet;
import java.util.function.Consumer;

/**
 * One request being generated, as data: its request and prompt tokens, its cancellation, where it
 * stands (tokens to fill and those in the cache, tokens taken, the next token to feed, steps
 * launched ahead, why it finished) and its timings. The {@link Scheduler} and the {@link StepRunner}s move it
 * forward through {@link Postprocess}; its text goes through its {@link SequenceText}. The
 * {@link ContinuousBatcher} steps many together, the {@link Generator} one alone, through the same
 * code, so a sequence's output does not depend on what it was batched with.
 */
final class Sequence {

    final GenerationRequest request;
    final int[] prompt;
    /** Output tokens it may take: max_tokens clipped to the context left after the prompt. */
    final int budget;
    final CancellationToken cancellation;
    /** The token that ends it: the tokenizer's EOS, or -1 with ignore_eos. */
    final int eos;
    /** The request's own sampler (its seed's random stream) and the tokens seen (repetition penalty). */
    final Sampler sampler;
    final BitSet seen;
    /** How often each token is in the output: the presence and frequency penalties' input (null while they are off). */
    int[] outputCounts;
    final SequenceText text;
    /** When the request arrived, on System.nanoTime's clock. */
    final long arrived = System.nanoTime();

    DecodeSession session;
    /**
     * The tokens whose KV must be computed before it decodes: the prompt, or after a preemption
     * (by recompute, {@link Scheduler}) prompt + output but the newest token.
     */
    int[] fill;
    /** Of {@link #fill}, the tokens in the cache. */
    int fed;
    /** Tokens taken, EOS included. */
    int outputs;
    /** The tokens taken, {@code outputs} of them: what a preempted sequence recomputes. */
    int[] output = new int[16];
    /** The token to feed at the next decode step (valid while not finished). */
    int nextToken = -1;
    /** Decode steps launched ahead for it whose tokens are not taken yet. */
    int launched;
    /** {@link GenerationResult#STOP}, {@link GenerationResult#LENGTH}, {@link GenerationResult#CANCELLED}; null while running. */
    String finish;
    /** Log-probabilities of the token being taken, when the request asks for them. */
    TokenLogprobs logprobs;
    long admitted;
    long firstToken;
    long lastToken;
    /** Seconds before each token after the first; {@code gapCount} of them are set. */
    double[] gaps = new double[16];
    int gapCount;

    Sequence(GenerationRequest request, int[] prompt, int budget, CancellationToken cancellation, int eosId,
             int vocabSize, SequenceText text) {
        this.request = request;
        this.prompt = prompt;
        this.fill = prompt;
        this.budget = budget;
        this.cancellation = cancellation;
        this.eos = request.ignoreEos() ? -1 : eosId;
        this.sampler = new Sampler(request.sampling(), request.seed());
        this.seen = new BitSet(vocabSize);
        for (int t : prompt) seen.set(t);
        if (request.sampling().penalizesOutput()) this.outputCounts = new int[vocabSize];
        this.text = text;
    }

    /** A new sequence for {@code request}, whose text pieces go to {@code onText} (on the batch's thread). */
    static Sequence start(GenerationRequest request, PromptTokens prompt, Tokenizer tokenizer,
                          CancellationToken cancellation, Consumer<String> onText) {
        for (int token : request.sampling().logitBias().keySet()) {
            if (token >= tokenizer.vocabSize()) {
                throw new BadInputException("logit_bias: token " + token + " is outside the vocabulary of "
                        + tokenizer.vocabSize() + " tokens");
            }
        }
        SequenceText text = new SequenceText(tokenizer.newDetokenizer(), request.stop(),
                request.logprobs() == null ? null : request.logprobs().sink(), onText);
        return new Sequence(request, prompt.tokens(), prompt.budget(), cancellation, tokenizer.eosId(),
                tokenizer.vocabSize(), text);
    }

    /** KV positions the sequence reserves: prompt + its output budget. */
    int capacity() {
        return prompt.length + budget;
    }

    /** True while part of {@link #fill} (the prompt, or after a preemption prompt + output) is not in the cache yet. */
    boolean prefilling() {
        return finish == null && fed < fill.length;
    }

    /** Positions in its cache, those of steps launched ahead included (0 before the session opens). */
    int cachedPositions() {
        return session == null ? 0 : session.position();
    }

    boolean finished() {
        return finish != null;
    }

    /**
     * True when its session samples on the device (the fast path), so only token ids cross to the
     * host, with the log-probabilities the device computes when the request asks for them. The
     * device's sampler has no presence or frequency penalty and no logit bias: a request with one
     * takes its logits to the host, as on the portable path.
     */
    boolean samplesOnDevice() {
        return session instanceof DeviceSampling && !request.sampling().needsHostSampler();
    }

    /**
     * Whether one more decode step may be launched for it before the tokens of those in flight are
     * known: it is not finished, and its budget has room for a token past theirs. (A step launched
     * for a sequence that then meets EOS or a stop is wasted, never delivered.)
     */
    boolean canLaunchAhead() {
        return finish == null && outputs + launched < budget;
    }

    void closeSession() {
        if (session != null) {
            session.close();
            session = null;
        }
    }
}
