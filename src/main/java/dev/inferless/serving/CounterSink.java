package dev.inferless.serving;

/**
 * Where {@code ModelContext.count}, {@code observe} and {@code gauge} go: the metrics registry when serving,
 * nowhere for one-off {@code infer}.
 */
@FunctionalInterface
public interface CounterSink {

    void add(String metric, String help, double amount);

    default void observe(String metric, String help, double value) {}

    default void gauge(String metric, String help, java.util.function.DoubleSupplier value) {}

    default void counter(String metric, String help, java.util.function.DoubleSupplier total) {}

    /** A model's finished generation, for the LLM metrics labelled with its name. */
    default void generation(String model, dev.inferless.api.GenerationStats stats) {}

    default void kvCacheUsage(String model, java.util.function.DoubleSupplier usage) {}

    CounterSink NONE = (metric, help, amount) -> {};
}
