package dev.inferless.llm.engine;

import dev.inferless.llm.sampling.TokenLogprobs;
import java.util.Arrays;

/**
 * What a step's result does to a sequence (nano-vllm's postprocess): logits become its next token
 * through its own sampler; a token is counted and timed, ends the sequence at EOS, a stop sequence
 * or its budget, and becomes text; a cancelled sequence finishes "cancelled" before taking another.
 * The step runners and the scheduler call it, on the batch's thread.
 */
final class Postprocess {

    private Postprocess() {}

    /** Ends {@code s} as cancelled once its token is; true when it is cancelled. */
    static boolean cancelIfRequested(Sequence s) {
        if (s.finish == null && s.cancellation.isCancelled()) {
            s.finish = GenerationResult.CANCELLED;
        }
        return GenerationResult.CANCELLED.equals(s.finish);
    }

    /** Takes the logits of the newest position: samples a token, or finishes. */
    static void sampled(Sequence s, float[] logits) {
        if (cancelIfRequested(s)) return;
        int token = s.sampler.next(logits, s.seen, s.outputCounts);
        if (s.request.logprobs() != null) s.logprobs = TokenLogprobs.of(logits, token, s.request.logprobs().top());
        take(s, token);
    }

    /**
     * Takes a token the device sampled, with the log-probabilities it computed when the request asks
     * for them, unless the sequence was cancelled.
     */
    static void sampledOnDevice(Sequence s, int token, TokenLogprobs logprobs) {
        if (cancelIfRequested(s)) return;
        if (s.request.logprobs() != null) {
            if (logprobs == null) throw new IllegalStateException("the device returned no logprobs for a request asking for them");
            s.logprobs = logprobs;
        }
        take(s, token);
    }

    /** Takes the next token, however it was chosen: ends at EOS, a stop sequence or the budget. */
    static void take(Sequence s, int token) {
        if (s.outputs == s.output.length) s.output = Arrays.copyOf(s.output, s.outputs * 2);
        s.output[s.outputs++] = token;
        long now = System.nanoTime();
        if (s.outputs > 1) {
            if (s.gapCount == s.gaps.length) s.gaps = Arrays.copyOf(s.gaps, s.gapCount * 2);
            s.gaps[s.gapCount++] = (now - s.lastToken) / 1e9;
        }
        s.lastToken = now;
        if (s.outputs == 1) s.firstToken = now;
        s.seen.set(token);
        if (s.outputCounts != null) {
            if (token >= s.outputCounts.length) s.outputCounts = Arrays.copyOf(s.outputCounts, token + 1);
            s.outputCounts[token]++;
        }
        if (token == s.eos) {
            s.finish = GenerationResult.STOP;
            return;
        }
        boolean stopped = s.text.add(token, s.logprobs);
        s.logprobs = null;
        if (stopped) {
            s.finish = GenerationResult.STOP;
        } else if (s.outputs == s.budget) {
            s.finish = GenerationResult.LENGTH;
        } else {
            s.nextToken = token;
        }
    }

    /** After the last token: releases the session, emits the held-back text, returns the result. */
    static GenerationResult complete(Sequence s) {
        s.closeSession();
        if (s.text.finish() && s.finish.equals(GenerationResult.LENGTH)) {
            s.finish = GenerationResult.STOP;
        }
        double ttftMs = s.outputs == 0 ? 0 : (s.firstToken - s.arrived) / 1e6;
        double decodeSeconds = (s.lastToken - s.firstToken) / 1e9;
        double tokensPerSecond = s.outputs > 1 && decodeSeconds > 0 ? (s.outputs - 1) / decodeSeconds : 0;
        double queueSeconds = s.admitted == 0 ? 0 : (s.admitted - s.arrived) / 1e9;
        return new GenerationResult(s.text.text(), s.prompt.length, s.outputs, s.finish, ttftMs, tokensPerSecond,
                queueSeconds, s.outputs > 1 ? decodeSeconds : 0, Arrays.copyOf(s.gaps, s.gapCount));
    }
}
