package dev.inferless.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Locale;

/**
 * One benchmark's figures, in the reference table's columns (average latency, tokens/s, output
 * tokens, cold start = load + first inference) plus time to first token and peak memory.
 * Tokens/s is total output tokens over total latency of the timed requests; decode tokens/s is
 * likewise a ratio of totals (tokens after the first over their time), so slow requests weigh in
 * as they do for a client. Figures a server does not report are -1 and read "n/a".
 */
public record BenchReport(
        String model,
        String quantization,
        String device,
        String machine,
        String date,
        int prompts,
        int runs,
        int maxTokens,
        boolean ignoreEos,
        double loadSeconds,
        double firstInferenceSeconds,
        double averageLatencySeconds,
        double tokensPerSecond,
        double averageOutputTokens,
        double averageTimeToFirstTokenMs,
        double averageDecodeTokensPerSecond,
        long peakHeapBytes,
        long peakRssBytes) {

    public static final String TABLE_HEADER =
            "| Model | Quantization | Device | Avg latency (s) | Tokens/s | Output tokens | Cold start (s) | TTFT (ms) | Peak memory |\n"
            + "|---|---|---|---:|---:|---:|---:|---:|---|\n";

    @JsonProperty("coldStartSeconds")
    public double coldStartSeconds() {
        return loadSeconds < 0 || firstInferenceSeconds < 0 ? -1 : loadSeconds + firstInferenceSeconds;
    }

    /** One row under {@link #TABLE_HEADER}. */
    public String tableRow() {
        String coldStart = coldStartSeconds() < 0 ? "n/a"
                : String.format(Locale.ROOT, "%.2f (load %.2f + first %.2f)", coldStartSeconds(), loadSeconds, firstInferenceSeconds);
        return String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %.1f | %.0f | %s | %.0f | heap %s, RSS %s |%n",
                model, quantization, device, averageLatencySeconds, tokensPerSecond, averageOutputTokens,
                coldStart, averageTimeToFirstTokenMs, bytes(peakHeapBytes), bytes(peakRssBytes));
    }

    public String toMarkdown() {
        return "# Benchmark: " + model + "\n\n"
                + String.format(Locale.ROOT, "%s on %s, %d prompts x %d runs, max_tokens %d%s, decode %.1f tokens/s after the first token.%n%n",
                        date, machine, prompts, runs, maxTokens, ignoreEos ? " (EOS ignored)" : "", averageDecodeTokensPerSecond)
                + TABLE_HEADER + tableRow();
    }

    public String toJson() {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the report as JSON", e);
        }
    }

    static String bytes(long n) {
        if (n < 0) return "n/a";
        return n >= 1L << 30
                ? String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.0f MiB", n / (double) (1L << 20));
    }
}
