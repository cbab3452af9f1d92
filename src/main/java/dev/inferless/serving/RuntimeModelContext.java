package dev.inferless.serving;

import dev.inferless.api.ModelContext;
import dev.inferless.api.TextGeneration;
import dev.inferless.llm.engine.LlmEngine;
import dev.inferless.repo.ModelRepo;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The runtime's ModelContext: the repo, its merged model config, the device, a logger, cancellation,
 * counters, and the LLM engine, started on the first request for it.
 */
final class RuntimeModelContext implements ModelContext {

    private final ModelRepo repo;
    private final String device;
    private final System.Logger logger;
    private final CounterSink counters;
    private LlmEngine engine; // guarded by this
    private volatile int contextLength;

    RuntimeModelContext(ModelRepo repo, String device, CounterSink counters) {
        this.repo = repo;
        this.device = device;
        this.logger = System.getLogger("model." + repo.name()); // SLF4J, through slf4j-jdk-platform-logging
        this.counters = counters;
    }

    @Override
    public Path repoDir() {
        return repo.dir();
    }

    @Override
    public Map<String, Object> config() {
        return repo.modelConfig();
    }

    @Override
    public String device() {
        return device;
    }

    @Override
    public System.Logger logger() {
        return logger;
    }

    @Override
    public BooleanSupplier cancelled() {
        return Cancellation.current();
    }

    @Override
    public void count(String metric, String help, double amount) {
        counters.add(metric, help, amount);
    }

    @Override
    public void observe(String metric, String help, double value) {
        counters.observe(metric, help, value);
    }

    @Override
    public void gauge(String metric, String help, java.util.function.DoubleSupplier value) {
        counters.gauge(metric, help, value);
    }

    @Override
    public void counter(String metric, String help, java.util.function.DoubleSupplier total) {
        counters.counter(metric, help, total);
    }

    @Override
    public void contextLength(int tokens) {
        if (tokens < 1) throw new IllegalArgumentException("context length must be at least 1 token, got " + tokens);
        contextLength = tokens;
    }

    /** What the model reported through {@link #contextLength(int)}; 0 when it did not. */
    int reportedContextLength() {
        return contextLength;
    }

    @Override
    public void generation(dev.inferless.api.GenerationStats stats) {
        counters.generation(repo.name(), stats);
    }

    @Override
    public void kvCacheUsage(java.util.function.DoubleSupplier usage) {
        counters.kvCacheUsage(repo.name(), usage);
    }

    @Override
    public synchronized TextGeneration textGeneration() {
        if (engine == null) {
            engine = LlmEngine.start(this);
        }
        return engine;
    }

    synchronized void closeEngine() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }
}
