package dev.inferless.server;

import dev.inferless.serving.CounterSink;
import dev.inferless.serving.PeakMemory;
import dev.inferless.serving.RequestScheduler;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The runtime's Prometheus metrics, in a registry of its own: requests by route and status,
 * latency histograms, in-flight and queued requests, cold-start phases, and counters the model adds.
 */
public final class Metrics implements CounterSink {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
    /** For model histograms in seconds: per-token times reach down to a millisecond. */
    private static final double[] SECONDS_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5,
        0.75, 1, 2.5, 5, 10, 30, 60, 120, 300};
    /** For counts (batch size, tokens): powers of two. */
    private static final double[] COUNT_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
    private static final Set<String> INFERENCE_ROUTES = Set.of("/infer", "/v1/completions",
            "/v2/models/{name}/infer", "/v2/models/{name}/versions/{version}/infer");

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Counter requests = Counter.builder().name("inferless_http_requests")
            .help("HTTP requests by route and status").labelNames("route", "status").register(registry);
    private final Histogram latency = Histogram.builder().name("inferless_http_request_duration_seconds")
            .help("HTTP request latency by route").labelNames("route").classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS).register(registry);
    private final Gauge coldStart = Gauge.builder().name("inferless_cold_start_seconds")
            .help("Cold start by phase: runtime_start (process start to model loaded), initialize, warmup, total")
            .labelNames("phase").register(registry);
    private final Gauge ready = Gauge.builder().name("inferless_model_ready").help("1 when the model serves requests")
            .register(registry);
    private final Histogram e2e = Histogram.builder().name("inferless_e2e_request_latency_seconds")
            .help("End-to-end latency of inference requests (whole stream included), by route and status")
            .labelNames("route", "status").classicOnly().classicUpperBounds(SECONDS_BUCKETS).register(registry);
    private final Map<String, Counter> modelCounters = new ConcurrentHashMap<>();
    private final Map<String, Histogram> modelHistograms = new ConcurrentHashMap<>();

    public Metrics() {
        // Peaks, as bench reports them, so a benchmark through HTTP can read them too.
        GaugeWithCallback.builder().name("inferless_jvm_peak_heap_bytes")
                .help("Peak JVM heap so far (per-pool peaks summed)").callback(cb -> cb.call(PeakMemory.heapBytes()))
                .register(registry);
        GaugeWithCallback.builder().name("inferless_process_peak_resident_memory_bytes")
                .help("Peak resident set size of the process so far (VmHWM; -1 where unknown)")
                .callback(cb -> cb.call(PeakMemory.rssBytes())).register(registry);
    }

    public void trackScheduler(RequestScheduler scheduler) {
        GaugeWithCallback.builder().name("inferless_requests_in_flight").help("Requests running in the model")
                .callback(cb -> cb.call(scheduler.inFlight())).register(registry);
        GaugeWithCallback.builder().name("inferless_requests_queued").help("Requests waiting for a free slot")
                .callback(cb -> cb.call(scheduler.queued())).register(registry);
    }

    public void recordRequest(String route, int status, double seconds) {
        requests.labelValues(route, Integer.toString(status)).inc();
        latency.labelValues(route).observe(seconds);
        if (INFERENCE_ROUTES.contains(route)) {
            e2e.labelValues(route, Integer.toString(status)).observe(seconds);
        }
    }

    public void coldStart(String phase, double seconds) {
        coldStart.labelValues(phase).set(seconds);
    }

    public void ready(boolean isReady) {
        ready.set(isReady ? 1 : 0);
    }

    /** A model's own counter (ModelContext.count), exported as {@code <metric>_total}. */
    @Override
    public void add(String metric, String help, double amount) {
        String name = metric.endsWith("_total") ? metric.substring(0, metric.length() - "_total".length()) : metric;
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("metric name '" + metric + "' must match [a-zA-Z_][a-zA-Z0-9_]*");
        }
        modelCounters.computeIfAbsent(name, n -> Counter.builder().name(n).help(help).register(registry)).inc(amount);
    }

    /** A model's own histogram (ModelContext.observe): seconds buckets for names ending in _seconds, else powers of two. */
    @Override
    public void observe(String metric, String help, double value) {
        if (!NAME.matcher(metric).matches()) {
            throw new IllegalArgumentException("metric name '" + metric + "' must match [a-zA-Z_][a-zA-Z0-9_]*");
        }
        modelHistograms.computeIfAbsent(metric, n -> Histogram.builder().name(n).help(help).classicOnly()
                .classicUpperBounds(n.endsWith("_seconds") ? SECONDS_BUCKETS : COUNT_BUCKETS).register(registry))
                .observe(value);
    }

    /** A model's own gauge (ModelContext.gauge), read at every scrape; a second registration of a name is an error. */
    @Override
    public void gauge(String metric, String help, java.util.function.DoubleSupplier value) {
        if (!NAME.matcher(metric).matches()) {
            throw new IllegalArgumentException("metric name '" + metric + "' must match [a-zA-Z_][a-zA-Z0-9_]*");
        }
        GaugeWithCallback.builder().name(metric).help(help).callback(cb -> cb.call(value.getAsDouble())).register(registry);
    }

    public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    public void write(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }
}
