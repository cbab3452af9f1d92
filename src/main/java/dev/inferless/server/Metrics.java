package dev.inferless.server;

import dev.inferless.runtime.CounterSink;
import dev.inferless.runtime.RequestScheduler;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The runtime's Prometheus metrics, in a registry of its own: requests by route and status,
 * latency histograms, in-flight and queued requests, cold-start phases, and counters the model adds.
 */
public final class Metrics implements CounterSink {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

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
    private final Map<String, Counter> modelCounters = new ConcurrentHashMap<>();

    public void trackScheduler(RequestScheduler scheduler) {
        GaugeWithCallback.builder().name("inferless_requests_in_flight").help("Requests running in the model")
                .callback(cb -> cb.call(scheduler.inFlight())).register(registry);
        GaugeWithCallback.builder().name("inferless_requests_queued").help("Requests waiting for a free slot")
                .callback(cb -> cb.call(scheduler.queued())).register(registry);
    }

    public void recordRequest(String route, int status, double seconds) {
        requests.labelValues(route, Integer.toString(status)).inc();
        latency.labelValues(route).observe(seconds);
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

    public String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }

    public void write(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }
}
