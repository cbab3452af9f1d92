package dev.inferless.api;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;

/**
 * What the runtime gives a model: where its repo is, its {@code model:} configuration (from
 * config.yaml, after command-line and environment overrides), the device to use, a logger, and
 * the cancellation signal of the current request, and the runtime's LLM engine for repos that
 * name a checkpoint.
 */
public interface ModelContext {

    Path repoDir();

    /** The {@code model:} section of the repo's config.yaml, overrides applied (e.g. {@code weights}, {@code device}). */
    Map<String, Object> config();

    /** "cpu", "gpu" or "auto" as configured; the model decides what "auto" means for it. */
    String device();

    System.Logger logger();

    /** True once the current request was cancelled (client gone, deadline passed, shutdown). */
    BooleanSupplier cancelled();

    /** Adds {@code amount} to a counter the runtime exports on /metrics (e.g. tokens generated). */
    void count(String metric, String help, double amount);

    /**
     * Records one observation in a histogram the runtime exports on /metrics, e.g. time to first
     * token ({@code inferless_time_to_first_token_seconds}) or decode batch size ({@code inferless_batch_size}).
     * Names ending in {@code _seconds} get latency buckets, others powers of two.
     */
    default void observe(String metric, String help, double value) {}

    /**
     * Exports a gauge read from {@code value} at every scrape (e.g. sequences in a running batch);
     * call once, in {@code initialize}.
     */
    default void gauge(String metric, String help, DoubleSupplier value) {}

    /**
     * The runtime's LLM engine for this repo's {@code model:} section (checkpoint and settings),
     * loaded on the first call (call it in {@code initialize}) and closed by the runtime after
     * {@code finalize}.
     */
    default TextGeneration textGeneration() {
        throw new UnsupportedOperationException("this runtime has no LLM engine");
    }
}
