package dev.inferless.runtime;

/**
 * Where {@code ModelContext.count} and {@code observe} go: the metrics registry when serving,
 * nowhere for one-off {@code infer}.
 */
@FunctionalInterface
public interface CounterSink {

    void add(String metric, String help, double amount);

    default void observe(String metric, String help, double value) {}

    CounterSink NONE = (metric, help, amount) -> {};
}
