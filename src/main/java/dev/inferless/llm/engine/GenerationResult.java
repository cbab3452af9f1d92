package dev.inferless.llm.engine;

/**
 * What a generation produced. {@code finishReason} is {@link #STOP} (EOS or a stop sequence),
 * {@link #LENGTH} (max_tokens or the context window) or {@link #CANCELLED}. {@code outputTokens}
 * counts every sampled token, EOS included; {@code decodeTokensPerSecond} covers the tokens after
 * the first (0 when there is only one).
 */
public record GenerationResult(
        String text,
        int promptTokens,
        int outputTokens,
        String finishReason,
        double timeToFirstTokenMs,
        double decodeTokensPerSecond) {

    public static final String STOP = "stop";
    public static final String LENGTH = "length";
    public static final String CANCELLED = "cancelled";
}
