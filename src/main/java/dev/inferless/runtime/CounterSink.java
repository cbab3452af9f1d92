package dev.inferless.runtime;

/** Where {@code ModelContext.count} goes: the metrics registry when serving, nowhere for one-off {@code infer}. */
@FunctionalInterface
public interface CounterSink {

    void add(String metric, String help, double amount);

    CounterSink NONE = (metric, help, amount) -> {};
}
