package dev.inferless.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a server says of its own cold start and memory, read from its Prometheus text ({@code GET
 * /metrics}): the gauge {@code inferless_cold_start_seconds} by phase (load is runtime_start, process
 * start to model loaded, + initialize; the first inference is the warm-up, 0 with {@code
 * model.warmup} off) and the peaks {@code inferless_jvm_peak_heap_bytes} and
 * {@code inferless_process_peak_resident_memory_bytes}.
 */
final class ServerMetrics {

    private static final Pattern COLD_START =
            Pattern.compile("inferless_cold_start_seconds\\{phase=\"(\\w+)\"}\\s+(\\S+)(\\s+\\d+)?");

    private static final Pattern PEAK =
            Pattern.compile("(inferless_jvm_peak_heap_bytes|inferless_process_peak_resident_memory_bytes)\\s+(\\S+)(\\s+\\d+)?");

    private ServerMetrics() {}

    /** What the text lacks is -1 (unknown). */
    static Benchmark.Footprint footprint(String prometheusText) {
        Map<String, Double> phases = new HashMap<>();
        Map<String, Long> peaks = new HashMap<>();
        for (String line : prometheusText.split("\n")) {
            Matcher peak = PEAK.matcher(line.trim());
            if (peak.matches()) {
                try {
                    peaks.put(peak.group(1), (long) Double.parseDouble(peak.group(2)));
                } catch (NumberFormatException e) {
                    // not a number: the peak stays unknown
                }
                continue;
            }
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
        return new Benchmark.Footprint(load, phases.getOrDefault("warmup", -1.0),
                peaks.getOrDefault("inferless_jvm_peak_heap_bytes", -1L),
                peaks.getOrDefault("inferless_process_peak_resident_memory_bytes", -1L));
    }
}
