package dev.inferless.startup;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Where the process's start went: named phases on one clock whose zero is the JVM's start
 * ({@code RuntimeMXBean.getStartTime}), from any thread (the LLM engine loads beside the HTTP server).
 * A phase is a span ({@link #start}), or time summed inside another phase ({@link #addPart}: upload and
 * repack interleave layer by layer inside "weights"). Each span is logged as it ends; {@link #ready}
 * logs the whole timeline once and closes it, so requests after it record nothing.
 */
public final class StartupTimeline {

    private static final System.Logger LOG = System.getLogger(StartupTimeline.class.getName());
    private static final StartupTimeline PROCESS = new StartupTimeline(System::nanoTime,
            System.nanoTime() - Math.max(0, System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime())
                    * 1_000_000L);

    /** A phase: its start and length in ms since process start; {@code parts} is time summed inside it, by name. */
    public record Phase(String name, double startMs, double ms, Map<String, Double> parts) {
        public double endMs() {
            return startMs + ms;
        }
    }

    /** An open span; closing it records the phase. */
    public interface Span extends AutoCloseable {
        @Override
        void close();
    }

    private final LongSupplier nanos;
    private final long zeroNanos;
    private final List<Phase> phases = new ArrayList<>();             // guarded by this
    private final Map<String, Map<String, Double>> parts = new LinkedHashMap<>(); // guarded by this
    private double readyMs = -1;                                       // guarded by this

    /** A timeline on {@code nanos} whose zero (process start) is {@code zeroNanos}. */
    public StartupTimeline(LongSupplier nanos, long zeroNanos) {
        this.nanos = nanos;
        this.zeroNanos = zeroNanos;
    }

    /** This process's timeline. */
    public static StartupTimeline process() {
        return PROCESS;
    }

    /** Starts phase {@code name} now; it ends when the span is closed. */
    public Span start(String name) {
        long begin = nanos.getAsLong();
        return () -> record(name, begin, nanos.getAsLong());
    }

    /** Records phase {@code name} from process start to now (the JVM's own start). */
    public void sinceProcessStart(String name) {
        record(name, zeroNanos, nanos.getAsLong());
    }

    /** Records phase {@code name} from the end of phase {@code previous} (absent: from process start) to now. */
    public void sinceEndOf(String previous, String name) {
        long now = nanos.getAsLong();
        long begin;
        synchronized (this) {
            begin = phases.stream().filter(p -> p.name().equals(previous)).findFirst()
                    .map(p -> zeroNanos + Math.round(p.endMs() * 1e6)).orElse(zeroNanos);
        }
        record(name, begin, now);
    }

    /** Adds {@code partNanos} to part {@code part} of phase {@code within} (shown with it when it ends). */
    public synchronized void addPart(String within, String part, long partNanos) {
        if (readyMs >= 0) return;
        parts.computeIfAbsent(within, k -> new LinkedHashMap<>()).merge(part, partNanos / 1e6, Double::sum);
    }

    private void record(String name, long beginNanos, long endNanos) {
        Phase phase;
        synchronized (this) {
            if (readyMs >= 0) return;
            phase = new Phase(name, sinceZero(beginNanos), (endNanos - beginNanos) / 1e6,
                    Collections.unmodifiableMap(new LinkedHashMap<>(parts.getOrDefault(name, Map.of()))));
            phases.add(phase);
        }
        LOG.log(System.Logger.Level.INFO, "start: {0}", describe(phase));
    }

    /**
     * Ready now: closes the timeline and returns it (the ready line says the same); later calls
     * return the same phases.
     */
    public synchronized List<Phase> ready() {
        if (readyMs < 0) {
            readyMs = sinceZero(nanos.getAsLong());
            LOG.log(System.Logger.Level.INFO, "start timeline: {0}", summary());
        }
        return List.copyOf(phases);
    }

    /** The phases recorded so far, in the order they started. */
    public synchronized List<Phase> phases() {
        return phases.stream().sorted(Comparator.comparingDouble(Phase::startMs)).collect(Collectors.toList());
    }

    /** One line: each phase as "name start-end ms (parts)" in the order they started, then ready. */
    public synchronized String summary() {
        String line = phases().stream().map(StartupTimeline::span).collect(Collectors.joining(" | "));
        return "ms since process start: " + line + (readyMs < 0 ? "" : " | ready " + Math.round(readyMs));
    }

    private double sinceZero(long t) {
        return (t - zeroNanos) / 1e6;
    }

    private static String span(Phase p) {
        return p.name() + " " + Math.round(p.startMs()) + "-" + Math.round(p.endMs()) + partsOf(p);
    }

    private static String describe(Phase p) {
        return p.name() + " " + Math.round(p.ms()) + " ms" + partsOf(p) + ", ended at " + Math.round(p.endMs())
                + " ms since process start";
    }

    private static String partsOf(Phase p) {
        if (p.parts().isEmpty()) return "";
        return p.parts().entrySet().stream().map(e -> e.getKey() + " " + Math.round(e.getValue()))
                .collect(Collectors.joining(", ", " (", ")"));
    }
}
