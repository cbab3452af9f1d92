package dev.inferless.app;

import dev.inferless.api.CancellationToken;
import dev.inferless.config.ConfigException;
import dev.inferless.config.RuntimeConfig;
import dev.inferless.config.ServerConfig;
import dev.inferless.repo.ModelLoadException;
import dev.inferless.server.HttpServer;
import dev.inferless.server.Metrics;
import dev.inferless.serving.InferenceService;
import dev.inferless.serving.ModelHost;
import dev.inferless.serving.RequestScheduler;
import dev.inferless.serving.ServingState;
import dev.inferless.startup.StartupTimeline;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The serving lifecycle: load the repo and listen (live, not ready), initialize and warm up
 * (ready), and on shutdown stop admitting, drain in-flight requests up to the grace period,
 * finalize the model exactly once and stop listening.
 */
public final class ServingRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(ServingRuntime.class);
    /** How long calls cancelled at the end of the grace period get to leave the model before finalize. */
    static final Duration CANCEL_PATIENCE = Duration.ofSeconds(5);

    private final RuntimeConfig config;
    private final ModelHost host;
    private final RequestScheduler scheduler;
    private final InferenceService service;
    private final Metrics metrics;
    private final HttpServer http;
    private final AtomicBoolean shutdownStarted = new AtomicBoolean();
    private final AtomicBoolean listening = new AtomicBoolean(true);
    private final Object lifecycle = new Object();
    private boolean initializing; // guarded by lifecycle
    private final CountDownLatch initializeDone = new CountDownLatch(1);
    private volatile boolean initialized;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean cleanShutdown = true;
    private volatile ColdStart coldStart;

    private ServingRuntime(RuntimeConfig config, ModelHost host, Metrics metrics, String authToken) {
        this.config = config;
        this.host = host;
        this.metrics = metrics;
        ServerConfig s = config.server();
        this.scheduler = new RequestScheduler(s.containerConcurrency(), s.queueSize());
        this.service = new InferenceService(host, scheduler);
        metrics.trackScheduler(scheduler);
        this.http = new HttpServer(s, authToken, service, metrics, config.logging().requestLog());
    }

    /** Loads the model repo and starts listening; the server is live but not ready. */
    public static ServingRuntime create(RuntimeConfig config, Map<String, String> env) throws ModelLoadException {
        String token = authToken(config.server(), env);
        Metrics metrics;
        try (var phase = StartupTimeline.process().start("metrics")) {
            metrics = new Metrics();
        }
        ModelHost host = ModelHost.load(config.model().repo(), config.model().name(), config.modelOverrides(), metrics,
                config.server().queueSize());
        ServingRuntime runtime = new ServingRuntime(config, host, metrics, token);
        try (var phase = StartupTimeline.process().start("http")) {
            runtime.http.start();
        }
        return runtime;
    }

    /** Initializes the model, runs the warm-up inference when configured, then reports ready. */
    public void initialize() throws ModelLoadException {
        synchronized (lifecycle) {
            if (shutdownStarted.get()) {
                throw new ModelLoadException("shutdown was requested before the model was initialized");
            }
            initializing = true;
        }
        try {
            initializeAndWarmUp();
        } finally {
            initializeDone.countDown();
        }
    }

    private void initializeAndWarmUp() throws ModelLoadException {
        long processStartMs = ManagementFactory.getRuntimeMXBean().getStartTime();
        double runtimeStart = Math.max(0, (System.currentTimeMillis() - processStartMs) / 1000.0);
        StartupTimeline timeline = StartupTimeline.process();
        long t0 = System.nanoTime();
        try (var phase = timeline.start("initialize")) {
            host.initialize();
        } catch (ModelLoadException e) {
            stopListening();
            throw e;
        }
        initialized = true;
        IntSupplier engineQueue = host.engineQueue();
        if (engineQueue != null) {
            scheduler.useEngineQueue(engineQueue);
            LOG.info("model '{}' runs an LLM engine: its batch (model.max_batch_size) and waiting queue (server.queue_size "
                    + "= {}) are the model's one limit and queue", host.repo().name(), config.server().queueSize());
        }
        double initialize = (System.nanoTime() - t0) / 1e9;
        LOG.info("model '{}' initialized in {} s", host.repo().name(), String.format("%.3f", initialize));
        double warmup = 0;
        if (config.model().warmup()) {
            long t1 = System.nanoTime();
            try (var phase = timeline.start("warm-up")) {
                host.infer(host.warmupInputs(), CancellationToken.untimed());
            } catch (Exception | LinkageError e) {
                finalizeQuietly();
                stopListening();
                throw e instanceof ModelLoadException ? (ModelLoadException) e
                        : new ModelLoadException("warm-up inference failed: " + ModelHost.describe(e), e);
            }
            warmup = (System.nanoTime() - t1) / 1e9;
        }
        coldStart = new ColdStart(runtimeStart, initialize, warmup);
        metrics.coldStart("runtime_start", runtimeStart);
        metrics.coldStart("initialize", initialize);
        metrics.coldStart("warmup", warmup);
        metrics.coldStart("total", coldStart.totalS());
        if (shutdownStarted.get()) {
            LOG.info("initialized, but a shutdown was requested meanwhile; not reporting ready");
            return;
        }
        service.moveTo(ServingState.READY);
        for (StartupTimeline.Phase p : timeline.ready()) {
            metrics.startupPhase(p.name(), p.startMs() / 1000, p.ms() / 1000);
        }
        metrics.ready(true);
        LOG.info("ready on port {}: cold start {} s = runtime start {} s + initialize {} s + warm-up {} s", http.port(),
                f(coldStart.totalS()), f(runtimeStart), f(initialize), config.model().warmup() ? f(warmup) : "(off) 0");
    }

    public int port() {
        return http.port();
    }

    public ColdStart coldStart() {
        return coldStart;
    }

    /**
     * Not ready from now on; waits for queued and in-flight requests up to the grace period, then
     * cancels what is left, finalizes the model once and stops listening. Safe to call many times.
     * Returns true when finalize succeeded.
     */
    public boolean shutdown() {
        if (!listening.get()) {
            return cleanShutdown; // already stopped (a failed initialize, or an earlier shutdown)
        }
        boolean first;
        boolean waitForInitialize;
        synchronized (lifecycle) {
            first = shutdownStarted.compareAndSet(false, true);
            waitForInitialize = initializing;
        }
        if (!first) {
            awaitStopped();
            return cleanShutdown;
        }
        try {
            if (waitForInitialize) {
                // A signal during initialize: let it finish, so finalize never races it.
                initializeDone.await();
            }
            LOG.info("shutting down: draining {} in flight and {} queued (grace {} s)", scheduler.inFlight(), scheduler.queued(),
                    config.server().shutdownGrace().toMillis() / 1000.0);
            service.moveTo(ServingState.DRAINING);
            metrics.ready(false);
            scheduler.close();
            boolean idle = scheduler.awaitIdle(config.server().shutdownGrace());
            if (!idle) {
                LOG.warn("grace period over with {} requests in flight and {} queued; cancelling them", scheduler.inFlight(),
                        scheduler.queued());
                scheduler.cancelAll();
            }
            // Queued requests get 503 from now on; finalize only once no call is left inside the model.
            if (scheduler.seal(CANCEL_PATIENCE)) {
                finalizeQuietly();
            } else {
                cleanShutdown = false;
                LOG.error("{} model calls ignored cancellation and are still running {} s after it; not finalizing "
                        + "model '{}' under them", scheduler.inModel(), CANCEL_PATIENCE.toSeconds(), host.repo().name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cleanShutdown = false;
            LOG.error("shutdown interrupted; model '{}' not finalized", host.repo().name());
        } finally {
            stopListening();
            LOG.info("stopped");
        }
        return cleanShutdown;
    }

    private void finalizeQuietly() {
        if (!initialized) {
            return;
        }
        try {
            long t = System.nanoTime();
            host.finalizeOnce();
            LOG.info("model '{}' finalized in {} s", host.repo().name(), f((System.nanoTime() - t) / 1e9));
        } catch (ModelLoadException e) {
            cleanShutdown = false;
            LOG.error(e.getMessage(), e.getCause());
        }
    }

    private void stopListening() {
        if (!listening.compareAndSet(true, false)) {
            return;
        }
        try {
            http.stop();
        } finally {
            scheduler.shutdownWorkers();
            service.moveTo(ServingState.STOPPED);
            stopped.countDown();
        }
    }

    public void awaitStopped() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String authToken(ServerConfig server, Map<String, String> env) {
        String var = server.authTokenEnv();
        if (var.isEmpty()) {
            return null;
        }
        String token = env.get(var);
        if (token == null || token.isBlank()) {
            throw new ConfigException("server.auth_token_env: the environment variable " + var + " is not set or empty");
        }
        return token.trim();
    }

    private static String f(double seconds) {
        return String.format("%.3f", seconds);
    }
}
