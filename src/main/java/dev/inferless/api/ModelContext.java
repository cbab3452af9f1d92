package dev.inferless.api;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * What the runtime gives a model: where its repo is, its {@code model:} configuration (from
 * config.yaml, after command-line and environment overrides), the device to use, a logger, metrics,
 * and the runtime's LLM engine for repos that name a checkpoint. A request's cancellation comes with
 * the request ({@link InferlessModel#infer(Map, CancellationToken)}).
 */
public interface ModelContext {

    Path repoDir();

    /** The {@code model:} section of the repo's config.yaml, overrides applied (e.g. {@code weights}, {@code device}). */
    Map<String, Object> config();

    /** "cpu", "gpu" or "auto" as configured; the model decides what "auto" means for it. */
    String device();

    System.Logger logger();

    /** Adds {@code amount} to a counter the runtime exports on /metrics (e.g. tokens generated). */
    void count(String metric, String help, double amount);

    /**
     * Records one observation in a histogram the runtime exports on /metrics, e.g. decode batch
     * size ({@code inferless_batch_size}); text generations go through {@link #generation} instead.
     * Names ending in {@code _seconds} get latency buckets, others powers of two.
     */
    default void observe(String metric, String help, double value) {}

    /**
     * Exports a gauge read from {@code value} at every scrape (e.g. sequences in a running batch);
     * call once, in {@code initialize}.
     */
    default void gauge(String metric, String help, DoubleSupplier value) {}

    /**
     * Exports a counter read from {@code total} (never decreasing) at every scrape, as
     * {@code <metric>_total} (e.g. preemptions); call once, in {@code initialize}.
     */
    default void counter(String metric, String help, DoubleSupplier total) {}

    /**
     * Tells the runtime the model's context window in tokens (prompt plus output), which protocols
     * report to clients (OpenAI's {@code max_model_len}); call once, in {@code initialize}.
     */
    default void contextLength(int tokens) {}

    /** Reports a finished text generation; the runtime turns it into its LLM metrics (docs/api.md). */
    default void generation(GenerationStats stats) {}

    /**
     * Exports the KV cache's usage, 0 to 1, read at every scrape as the runtime's
     * {@code inferless_kv_cache_usage_perc}; call once, in {@code initialize}.
     */
    default void kvCacheUsage(DoubleSupplier usage) {}

    /**
     * The runtime's LLM engine for this repo's {@code model:} section (checkpoint and settings),
     * loaded on the first call (call it in {@code initialize}) and closed by the runtime after
     * {@code finalize}.
     */
    default TextGeneration textGeneration() {
        throw new UnsupportedOperationException("this runtime has no LLM engine");
    }
}
