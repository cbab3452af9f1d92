package dev.inferless.bench;

import dev.inferless.llm.engine.GenerationRequest;
import dev.inferless.llm.engine.GenerationResult;
import dev.inferless.serving.PeakMemory;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Measures a model the way a serverless endpoint meets it: cold start (load, then the first
 * inference), then {@code runs} passes over the prompts, one request at a time. The model is in
 * this process, or behind a server's HTTP API ({@link ServerTarget}), which reports its own cold start.
 */
public final class Benchmark {

    /**
     * What loading produced: a way to generate, and what to call the setup in the table. A server
     * reports its own {@code footprint} (read after the runs); null: timed and measured here.
     */
    public record Loaded(Function<GenerationRequest, GenerationResult> generate, String quantization, String device,
                         Supplier<Footprint> footprint) {

        public Loaded(Function<GenerationRequest, GenerationResult> generate, String quantization, String device) {
            this(generate, quantization, device, null);
        }
    }

    /** Cold start split (load, then the first inference) and peak memory; -1 where unknown. */
    public record Footprint(double loadSeconds, double firstInferenceSeconds, long peakHeapBytes, long peakRssBytes) {}

    /** What the report names: model, machine, date. */
    public record Labels(String model, String machine, String date) {}

    /** Request settings as in the reference workload (temperature 1, top_p 1), seeded so runs repeat. */
    static final double TEMPERATURE = 1.0;
    static final double TOP_P = 1.0;
    static final long SEED = 1234;

    private final LongSupplier nanoClock;

    public Benchmark(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    public BenchReport run(Labels labels, Callable<Loaded> load, List<String> prompts, int runs, int maxTokens, boolean ignoreEos)
            throws Exception {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts to run");
        if (runs < 1) throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
        long start = nanoClock.getAsLong();
        Loaded loaded = load.call();
        long loadedAt = nanoClock.getAsLong();
        loaded.generate().apply(request(prompts.get(0), maxTokens, ignoreEos));
        long firstDone = nanoClock.getAsLong();

        double latencySum = 0;
        long outputTokens = 0;
        double ttftSum = 0;
        double decodeTokens = 0;
        double decodeSeconds = 0;
        int requests = 0;
        for (int run = 0; run < runs; run++) {
            for (String prompt : prompts) {
                long t0 = nanoClock.getAsLong();
                GenerationResult r = loaded.generate().apply(request(prompt, maxTokens, ignoreEos));
                latencySum += (nanoClock.getAsLong() - t0) / 1e9;
                outputTokens += r.outputTokens();
                ttftSum += r.timeToFirstTokenMs();
                if (r.decodeTokensPerSecond() > 0) {
                    decodeTokens += r.outputTokens() - 1;
                    decodeSeconds += (r.outputTokens() - 1) / r.decodeTokensPerSecond();
                }
                requests++;
            }
        }
        Footprint footprint = loaded.footprint() != null ? loaded.footprint().get()
                : new Footprint((loadedAt - start) / 1e9, (firstDone - loadedAt) / 1e9, PeakMemory.heapBytes(), PeakMemory.rssBytes());
        return new BenchReport(
                labels.model(), loaded.quantization(), loaded.device(), labels.machine(), labels.date(),
                prompts.size(), runs, maxTokens, ignoreEos,
                footprint.loadSeconds(), footprint.firstInferenceSeconds(),
                latencySum / requests, latencySum > 0 ? outputTokens / latencySum : 0,
                outputTokens / (double) requests, ttftSum / requests, decodeSeconds > 0 ? decodeTokens / decodeSeconds : 0,
                footprint.peakHeapBytes(), footprint.peakRssBytes());
    }

    static GenerationRequest request(String prompt, int maxTokens, boolean ignoreEos) {
        return new GenerationRequest(prompt, maxTokens, TEMPERATURE, TOP_P, 0, 1.0, SEED, List.of(), ignoreEos);
    }
}
