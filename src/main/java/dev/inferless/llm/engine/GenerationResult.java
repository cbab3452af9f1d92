package dev.inferless.llm.engine;

import dev.inferless.api.GenerationStats;

/**
 * What a generation produced. {@code finishReason} is {@link #STOP} (EOS or a stop sequence),
 * {@link #LENGTH} (max_tokens or the context window) or {@link #CANCELLED}. {@code outputTokens}
 * counts every sampled token, EOS included; {@code decodeTokensPerSecond} covers the tokens after
 * the first (0 when there is only one). In a continuous batch, {@code queueSeconds} is the wait to
 * join it and {@code interTokenSeconds} the gap before each token after the first.
 */
public record GenerationResult(
        String text,
        int promptTokens,
        int outputTokens,
        String finishReason,
        double timeToFirstTokenMs,
        double decodeTokensPerSecond,
        double queueSeconds,
        double decodeSeconds,
        double[] interTokenSeconds) {

    public static final String STOP = "stop";
    public static final String LENGTH = "length";
    public static final String CANCELLED = "cancelled";

    /** Without the batch timings (a generation outside a continuous batch, or a client's view). */
    public GenerationResult(String text, int promptTokens, int outputTokens, String finishReason,
                            double timeToFirstTokenMs, double decodeTokensPerSecond) {
        this(text, promptTokens, outputTokens, finishReason, timeToFirstTokenMs, decodeTokensPerSecond, 0, 0, new double[0]);
    }

    /** The figures the runtime's LLM metrics take; prefill is arrival to first token less the queue. */
    public GenerationStats stats() {
        double ttftSeconds = timeToFirstTokenMs / 1000.0;
        return new GenerationStats(promptTokens, outputTokens, finishReason, queueSeconds,
                Math.max(0, ttftSeconds - queueSeconds), decodeSeconds, interTokenSeconds);
    }
}
