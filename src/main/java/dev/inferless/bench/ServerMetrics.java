package dev.inferless.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a server says of its own cold start, read from its Prometheus text ({@code GET /metrics}):
 * the gauge {@code inferless_cold_start_seconds} by phase. Load is runtime_start (process start to
 * model loaded) + initialize; the first inference is the warm-up (0 with {@code model.warmup} off).
 */
final class ServerMetrics {

    private static final Pattern COLD_START =
            Pattern.compile("inferless_cold_start_seconds\\{phase=\"(\\w+)\"}\\s+(\\S+)(\\s+\\d+)?");

    private ServerMetrics() {}

    /** Phases the text lacks are -1 (unknown); memory is -1 too, as the server exports no memory gauge. */
    static Benchmark.Footprint footprint(String prometheusText) {
        Map<String, Double> phases = new HashMap<>();
        for (String line : prometheusText.split("\n")) {
            Matcher m = COLD_START.matcher(line.trim());
            if (m.matches()) {
                try {
                    phases.put(m.group(1), Double.parseDouble(m.group(2)));
                } catch (NumberFormatException e) {
                    // "+Inf" and the like: the phase stays unknown
                }
            }
        }
        double load = phases.containsKey("runtime_start") && phases.containsKey("initialize")
                ? phases.get("runtime_start") + phases.get("initialize") : -1;
        return new Benchmark.Footprint(load, phases.getOrDefault("warmup", -1.0), -1, -1);
    }
}
