package dev.inferless.serving;

import dev.inferless.api.ModelContext;
import dev.inferless.api.TextGeneration;
import dev.inferless.llm.engine.LlmEngine;
import dev.inferless.repo.ModelRepo;
import dev.inferless.startup.StartupTimeline;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.IntSupplier;

/**
 * The runtime's ModelContext: the repo, its merged model config, the device, a logger, counters,
 * and the LLM engine, with {@code queueSize} requests at most waiting for its batch: started on the
 * first request for it, or earlier by {@link #startEngineLoad} while the runtime compiles the
 * repo's code and starts listening.
 */
final class RuntimeModelContext implements ModelContext {

    private final ModelRepo repo;
    private final String device;
    private final System.Logger logger;
    private final CounterSink counters;
    private final int queueSize;
    private LlmEngine engine; // guarded by this
    private CompletableFuture<LlmEngine> loading; // guarded by this
    private volatile int contextLength;

    RuntimeModelContext(ModelRepo repo, String device, CounterSink counters, int queueSize) {
        this.repo = repo;
        this.device = device;
        this.logger = System.getLogger("model." + repo.name()); // SLF4J, through slf4j-jdk-platform-logging
        this.counters = counters;
        this.queueSize = queueSize;
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

    /**
     * Starts loading the LLM engine on a thread of its own; {@link #textGeneration} then waits for it.
     * The checkpoint's load does not need the repo's code, so it runs beside compiling that code.
     */
    synchronized void startEngineLoad() {
        if (engine != null || loading != null) return;
        loading = CompletableFuture.supplyAsync(() -> {
            try (var phase = StartupTimeline.process().start("llm engine")) {
                return LlmEngine.start(this, queueSize);
            }
        }, work -> {
            Thread t = new Thread(work, "llm-engine-load");
            t.setDaemon(true); // a failed start exits without waiting for the weights
            t.start();
        });
    }

    @Override
    public synchronized TextGeneration textGeneration() {
        if (engine == null) {
            engine = loading != null ? takeLoaded() : LlmEngine.start(this, queueSize);
        }
        return engine;
    }

    /** The engine startEngineLoad began; its failure is thrown as LlmEngine.start would have thrown it. */
    private LlmEngine takeLoaded() {
        CompletableFuture<LlmEngine> load = loading;
        loading = null; // after a failure, the next call starts again
        try {
            return load.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    /** The waiting queue's depth of the engine, when one was started. */
    synchronized IntSupplier engineQueue() {
        return engine == null ? null : engine::waiting;
    }

    synchronized void closeEngine() {
        if (loading != null) {
            try {
                engine = takeLoaded(); // not taken by the model: wait for it, so that it is freed
            } catch (RuntimeException | Error e) {
                logger.log(System.Logger.Level.WARNING, "the LLM engine loaded for this repo failed: " + e.getMessage());
            }
        }
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }
}
