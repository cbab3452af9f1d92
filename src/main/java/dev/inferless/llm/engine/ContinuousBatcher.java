package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import dev.inferless.api.CancellationToken;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.DeviceSamplingModel;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Continuous batching: concurrent {@link #generate} calls share decode steps. One thread runs the
 * loop: the {@link Scheduler} admits, prefills and retires at each step boundary; a
 * {@link StepRunner} runs the decode step of every decoding sequence (sampled on the host, or on
 * the device and launched ahead). Each request keeps its own sampling parameters, seed and stop
 * sequences ({@link Sequence}). Knows no tensors: the model does. {@link BatchLimits#batchInvariant()}:
 * a request's tokens are bit for bit those it gets alone ({@link LanguageModel#setBatchInvariant},
 * {@link Scheduler#prefillChunks}).
 */
public final class ContinuousBatcher implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ContinuousBatcher.class.getName());

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final int contextWindow;
    private final Scheduler scheduler;
    private final StepRunner onHost;
    private final StepRunner onDevice;
    private volatile int runningCount;
    private final Thread loop;
    private volatile boolean warnedHostSampling;

    /**
     * @param contextWindow prompt + output tokens per sequence; 0 = the model's
     * @param maxWaiting    requests that may wait for a place in the batch; more are refused
     * @param batchSizes    told the batch size of every decode step (metrics)
     */
    public ContinuousBatcher(LanguageModel model, Tokenizer tokenizer, int contextWindow, BatchLimits limits,
                             int maxWaiting, IntConsumer batchSizes) {
        this(model, tokenizer, contextWindow, limits, maxWaiting, KvCacheSettings.DEFAULT, batchSizes);
    }

    /** @param kv the KV cache's blocks the scheduler admits, grows and preempts by */
    public ContinuousBatcher(LanguageModel model, Tokenizer tokenizer, int contextWindow, BatchLimits limits,
                             int maxWaiting, KvCacheSettings kv, IntConsumer batchSizes) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.contextWindow = PromptTokens.contextWindow(contextWindow, model.config().maxPositions());
        if (limits.batchInvariant()) model.setBatchInvariant(true); // each row computed as alone
        this.scheduler = new Scheduler(limits, model.maxSessions(), maxWaiting, kv.of(model, limits.batchInvariant()),
                this.contextWindow);
        this.onHost = new HostSampledSteps(model, batchSizes);
        this.onDevice = new DeviceSampledSteps(model, batchSizes);
        this.loop = new Thread(this::run, "continuous-batcher");
        loop.setDaemon(true);
        loop.start();
    }

    /**
     * Generates one completion inside the shared batch; blocks until it is done. Same contract as
     * {@link Generator#generate(GenerationRequest, CancellationToken, Consumer)}: {@code onText} runs
     * on the calling thread, a bad prompt throws {@link BadInputException} before anything runs.
     */
    public GenerationResult generate(GenerationRequest request, CancellationToken cancellation, Consumer<String> onText) {
        PromptTokens checked = PromptTokens.of(tokenizer, request, contextWindow);
        Pending r = new Pending();
        r.sequence = Sequence.start(request, checked, tokenizer, cancellation, r::send);
        if (model instanceof DeviceSamplingModel && request.sampling().needsHostSampler() && !warnedHostSampling) {
            warnedHostSampling = true; // once: a client may send these with every request
            LOG.log(System.Logger.Level.WARNING, "a request with presence_penalty, frequency_penalty or logit_bias is"
                    + " sampled on the host: its logits come back each step, in a decode step of its own beside the"
                    + " device-sampled batch (the device's sampler has none of them); further ones are not logged");
        }
        scheduler.add(r);
        try {
            return r.await(onText);
        } finally {
            scheduler.left();
        }
    }

    /** The share of the KV cache's blocks that running sequences hold, 0 to 1. */
    public double kvCacheUsage() {
        return scheduler.blocks().usage();
    }

    Scheduler scheduler() { // for the KV cache's counters (preemptions, prefix-cache queries and hits)
        return scheduler;
    }

    /** Sequences in the running batch now. */
    public int running() {
        return runningCount;
    }

    /** Requests waiting to be admitted. */
    public int waiting() {
        return scheduler.waitingCount();
    }

    private void run() {
        try {
            while (scheduler.admit()) {
                try {
                    scheduler.retireFinished();
                    scheduler.prefillChunks(model, s -> s.samplesOnDevice() ? onDevice : onHost);
                    scheduler.retireFinished();
                    scheduler.growForDecode(model, () -> onDevice.finishInFlight(scheduler));
                    step();
                    scheduler.retireFinished();
                    if (scheduler.running().isEmpty()) {
                        onDevice.finishInFlight(scheduler); // nothing left to overlap with: no step stays in flight while idle
                    }
                } catch (RuntimeException | Error e) {
                    // Something no single sequence owns (an engine error, out of memory): the batch
                    // fails, the loop goes on for the requests that come next.
                    RuntimeException failure = e instanceof RuntimeException re ? re
                            : new IllegalStateException("generation failed: " + e, e);
                    new ArrayList<>(scheduler.running()).forEach(r -> scheduler.drop(r, failure));
                    onDevice.abandonInFlight();
                }
                runningCount = scheduler.running().size();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        onDevice.abandonInFlight();
        scheduler.closeAndFailAll(new IllegalStateException("generation stopped: the model is shutting down"));
        runningCount = 0;
    }

    /** One decode step over every decoding sequence, each on the runner its session asks for. */
    private void step() {
        List<Sequence> decoding = scheduler.decoding();
        List<Sequence> sampledOnDevice = decoding.stream().filter(Sequence::samplesOnDevice).toList();
        List<Sequence> sampledOnHost = decoding.stream().filter(s -> !s.samplesOnDevice()).toList();
        if (!sampledOnDevice.isEmpty()) {
            onDevice.step(sampledOnDevice, scheduler);
        }
        if (!sampledOnHost.isEmpty()) {
            onHost.step(sampledOnHost, scheduler);
        }
    }

    /** Stops the loop; requests still waiting or running fail with "shutting down". */
    @Override
    public void close() {
        scheduler.close();
        try {
            loop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
