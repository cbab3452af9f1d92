package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.DeviceSamplingModel;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Continuous batching: concurrent {@link #generate} calls share decode steps. One thread runs the
 * model; at each step boundary it admits waiting requests in arrival order within the
 * {@link BatchLimits}, runs at most {@code maxPrefillTokens} prompt tokens of the sequences still
 * prefilling (chunked prefill: a long prompt delays running decodes by a bounded chunk per step,
 * not by its whole length), steps every decoding sequence in one batched decode, and retires those
 * that finished or were cancelled. Knows no tensors: the model does.
 * Each request keeps its own sampling parameters, seed and stop sequences ({@link Sequence}).
 */
public final class ContinuousBatcher implements AutoCloseable {

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final int contextWindow;
    private final BatchLimits limits;
    private final IntConsumer batchSizes;
    private final Object lock = new Object();
    private final Deque<Request> waiting = new ArrayDeque<>(); // guarded by lock
    private final List<Request> running = new ArrayList<>();   // the loop thread's
    private volatile int runningCount;
    private long reserved;                                     // KV positions of the running; the loop thread's
    private boolean closed;                                    // guarded by lock
    private final Deque<List<Request>> launched = new ArrayDeque<>(); // steps launched ahead, oldest first; the loop thread's
    private final Thread loop;

    /** A request's way back to its caller: text pieces, then a result or a failure. */
    private static final class Request {
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        volatile boolean abandoned;
        Sequence sequence;
    }

    /**
     * @param contextWindow prompt + output tokens per sequence; 0 = the model's
     * @param batchSizes    told the batch size of every decode step (metrics)
     */
    public ContinuousBatcher(LanguageModel model, Tokenizer tokenizer, int contextWindow, BatchLimits limits,
                             IntConsumer batchSizes) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.contextWindow = PromptTokens.contextWindow(contextWindow, model.config().maxPositions());
        this.limits = limits;
        this.batchSizes = batchSizes;
        this.loop = new Thread(this::run, "continuous-batcher");
        loop.setDaemon(true);
        loop.start();
    }

    /**
     * Generates one completion inside the shared batch; blocks until it is done. Same contract as
     * {@link Generator#generate(GenerationRequest, BooleanSupplier, Consumer)}: {@code onText} runs
     * on the calling thread, a bad prompt throws {@link BadInputException} before anything runs.
     */
    public GenerationResult generate(GenerationRequest request, BooleanSupplier cancelled, Consumer<String> onText) {
        PromptTokens checked = PromptTokens.of(tokenizer, request.prompt(), request.maxTokens(), contextWindow);
        int[] prompt = checked.tokens();
        int budget = checked.budget();
        Request r = new Request();
        r.sequence = new Sequence(request, prompt, budget, tokenizer, () -> r.abandoned || cancelled.getAsBoolean(),
                r.events::add);
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the batcher is closed");
            }
            waiting.add(r);
            lock.notifyAll();
        }
        try {
            while (true) {
                Object event = r.events.take();
                if (event instanceof String piece) {
                    onText.accept(piece);
                } else if (event instanceof GenerationResult result) {
                    return result;
                } else {
                    throw (RuntimeException) event;
                }
            }
        } catch (InterruptedException e) {
            r.abandoned = true;
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while generating", e);
        } catch (RuntimeException e) {
            r.abandoned = true;
            throw e;
        }
    }

    /** Sequences in the running batch now. */
    public int running() {
        return runningCount;
    }

    /** Requests waiting to be admitted. */
    public int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    private void run() {
        try {
            while (true) {
                List<Request> admitted;
                synchronized (lock) {
                    while (!closed && waiting.isEmpty() && running.isEmpty()) {
                        lock.wait();
                    }
                    if (closed) {
                        break;
                    }
                    admitted = admit();
                }
                for (Request r : admitted) {
                    running.add(r);
                    reserved += r.sequence.capacity();
                }
                try {
                    retireFinished();
                    prefillChunks();
                    retireFinished();
                    step();
                    retireFinished();
                    if (running.isEmpty()) {
                        collectLaunched(); // nothing left to overlap with: no step stays in flight while idle
                    }
                } catch (RuntimeException | Error e) {
                    // Something no single sequence owns (an engine error, out of memory): the batch
                    // fails, the loop goes on for the requests that come next.
                    RuntimeException failure = e instanceof RuntimeException re ? re
                            : new IllegalStateException("generation failed: " + e, e);
                    new ArrayList<>(running).forEach(r -> drop(r, failure));
                    abandonLaunched();
                }
                runningCount = running.size();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        abandonLaunched();
        IllegalStateException stopped = new IllegalStateException("generation stopped: the model is shutting down");
        running.forEach(r -> fail(r, stopped));
        running.clear();
        runningCount = 0;
        synchronized (lock) {
            waiting.forEach(r -> fail(r, stopped));
            waiting.clear();
        }
    }

    /** Under the lock: the waiting requests that join at this step boundary, in arrival order. */
    private List<Request> admit() {
        List<Request> admitted = new ArrayList<>();
        long positions = reserved;
        int maxBatch = Math.min(limits.maxBatchSize(), model.maxSessions());
        while (running.size() + admitted.size() < maxBatch && !waiting.isEmpty()) {
            Sequence next = waiting.peek().sequence;
            boolean alone = running.isEmpty() && admitted.isEmpty();
            if (!alone && limits.maxTokensInFlight() > 0 && positions + next.capacity() > limits.maxTokensInFlight()) {
                break;
            }
            admitted.add(waiting.poll());
            positions += next.capacity();
        }
        return admitted;
    }

    /** This step's share of prompt work: up to maxPrefillTokens, to the earliest-admitted prompts first. */
    private void prefillChunks() {
        int budget = limits.maxPrefillTokens();
        for (Iterator<Request> it = running.iterator(); it.hasNext() && budget > 0; ) {
            Request r = it.next();
            if (!r.sequence.prefilling()) {
                continue;
            }
            try {
                budget -= r.sequence.prefillChunk(model, budget);
            } catch (RuntimeException e) {
                fail(r, e);
                it.remove();
                reserved -= r.sequence.capacity();
            }
        }
    }

    /** One decode step over every decoding sequence; a sampling failure fails its own sequence only. */
    private void step() {
        List<Request> onHost = new ArrayList<>(running.size());
        List<Request> onDevice = new ArrayList<>();
        for (Request r : running) {
            if (!r.sequence.prefilling() && !r.sequence.finished()) {
                (r.sequence.samplesOnDevice() ? onDevice : onHost).add(r);
            }
        }
        if (!onDevice.isEmpty()) {
            stepOnDevice(onDevice);
        }
        if (!onHost.isEmpty()) {
            float[][] logits = model.decodeBatch(sessions(onHost), nextTokens(onHost)); // a failure fails the batch (run())
            batchSizes.accept(onHost.size());
            deliver(onHost, i -> onHost.get(i).sequence.accept(logits[i]));
        }
    }

    /**
     * The fast path's step: the model samples on the device, so only token ids come back; one
     * batched call where the model offers it, else each sequence alone. Batched steps run one ahead:
     * this launches the next step, fed on the device with the tokens of the step still in flight,
     * then takes that step's tokens while the new one runs, so the device never waits for the host.
     */
    private void stepOnDevice(List<Request> batch) {
        if (model instanceof DeviceSamplingModel device) {
            List<Request> next = batch.stream().filter(r -> r.sequence.canLaunchAhead()).toList();
            if (!next.isEmpty()) {
                int[] tokens = next.stream()
                        .mapToInt(r -> r.sequence.launch(DeviceSamplingModel.TOKEN_ON_DEVICE)).toArray();
                device.submitDecode(sessions(next), tokens); // a failure fails the batch
                launched.add(next);
                batchSizes.accept(next.size());
            }
            if (launched.size() > 1 || next.isEmpty()) {
                collectOldest(device);
            }
            return;
        }
        deliver(batch, i -> {
            batch.get(i).sequence.decodeOnDevice();
            batchSizes.accept(1);
        });
    }

    /** Takes the tokens of the oldest step launched ahead, for the requests of it still running. */
    private void collectOldest(DeviceSamplingModel device) {
        List<Request> batch = launched.poll();
        if (batch == null) {
            return;
        }
        int[] tokens = device.collectDecode(); // a failure fails the batch
        deliver(batch, i -> {
            Request r = batch.get(i);
            if (running.contains(r)) {
                r.sequence.acceptLaunched(tokens[i]);
            }
        });
    }

    private void collectLaunched() {
        if (model instanceof DeviceSamplingModel device) {
            while (!launched.isEmpty()) {
                collectOldest(device);
            }
        }
    }

    /** After a failure or at shutdown: waits out the steps in flight, delivering nothing. */
    private void abandonLaunched() {
        if (model instanceof DeviceSamplingModel device) {
            while (launched.poll() != null) {
                try {
                    device.collectDecode();
                } catch (RuntimeException e) {
                    // the failure that brought us here, already reported to the requests
                }
            }
        }
    }

    /** Runs {@code body} for each index; a failure drops that request only. */
    private void deliver(List<Request> batch, IntConsumer body) {
        for (int i = 0; i < batch.size(); i++) {
            try {
                body.accept(i);
            } catch (RuntimeException e) {
                drop(batch.get(i), e);
            }
        }
    }

    private static List<DecodeSession> sessions(List<Request> batch) {
        return batch.stream().map(r -> r.sequence.session()).toList();
    }

    private static int[] nextTokens(List<Request> batch) {
        return batch.stream().mapToInt(r -> r.sequence.nextToken()).toArray();
    }

    /** Fails a running request and takes it out of the batch. */
    private void drop(Request r, RuntimeException e) {
        fail(r, e);
        running.remove(r);
        reserved -= r.sequence.capacity();
    }

    /** Sends the finished (and the cancelled) their results and frees their sessions. */
    private void retireFinished() {
        for (Iterator<Request> it = running.iterator(); it.hasNext(); ) {
            Request r = it.next();
            r.sequence.cancelIfRequested();
            if (r.sequence.finished()) {
                it.remove();
                reserved -= r.sequence.capacity();
                try {
                    r.events.add(r.sequence.complete());
                } catch (RuntimeException e) {
                    fail(r, e);
                }
            }
        }
    }

    private static void fail(Request r, RuntimeException e) {
        try {
            r.sequence.closeSession();
        } finally {
            r.events.add(e);
        }
    }

    /** Stops the loop; requests still waiting or running fail with "shutting down". */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            loop.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
