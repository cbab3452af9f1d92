package dev.inferless.api;

/**
 * One finished text generation, as a model reports it through {@link ModelContext#generation}; the
 * runtime exports it as its LLM metrics (the families vLLM's dashboards read), labelled with the
 * model's name. Times in seconds: waiting to join the batch, from joining to the first token
 * (prefill), from the first token to the last (decode); {@code interTokenSeconds} holds the gap
 * before each token after the first. {@code finishReason}: "stop", "length" or "cancelled".
 */
public record GenerationStats(int promptTokens, int outputTokens, String finishReason, double queueSeconds,
                              double prefillSeconds, double decodeSeconds, double[] interTokenSeconds) {

    /** Arrival to first token: queue plus prefill. */
    public double timeToFirstTokenSeconds() {
        return queueSeconds + prefillSeconds;
    }
}
