package dev.inferless.llm.engine;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.OverCapacityException;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.PagedKvModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.Function;

/**
 * What runs next in the continuous batch, and the LLM's only queue and limit: a request over the
 * batch plus {@code maxWaiting} waiting ones is refused ({@link OverCapacityException}); at each step
 * boundary it fails the waiting requests cancelled meanwhile (their deadline passed in the queue),
 * admits waiting requests in arrival order within the {@link BatchLimits} (sequences, KV positions
 * in flight) and the free KV blocks ({@link BlockManager}: a prompt's cached prefix costs none),
 * opens their sessions (on their block tables where the model's cache is paged), gives the
 * prefilling sequences this step's prompt-token budget (chunked prefill: a long prompt delays
 * running decodes by a bounded chunk per step), grows the decoding sequences' blocks, preempting
 * the youngest when the pool runs out, and retires the finished and the cancelled. Knows no
 * tensors. All but {@link #add}, {@link #left}, {@link #waitingCount} and the counters run on the
 * batch's thread.
 */
final class Scheduler implements StepRunner.Batch {

    private static final int RETRY_AFTER_SECONDS = 1;

    private final BatchLimits limits;
    private final int maxSequences;
    private final int maxWaiting;
    private final Object lock = new Object();
    private final Deque<Pending> waiting = new ArrayDeque<>(); // guarded by lock
    private boolean closed;                                  // guarded by lock
    private int present;                                     // added and not left: running or waiting; guarded by lock
    private final List<Pending> running = new ArrayList<>();
    private long reserved;                                   // KV positions of the running
    private final BlockManager blocks;
    private volatile long preemptions;

    /**
     * {@code maxWaiting}: requests that may wait for a place in the batch (server.queue_size);
     * {@code kv}: the KV cache's blocks it admits, grows and preempts by.
     */
    Scheduler(BatchLimits limits, int maxSessions, int maxWaiting, KvCacheSettings kv, int contextWindow) {
        this.limits = limits;
        this.maxSequences = Math.min(limits.maxBatchSize(), maxSessions);
        this.maxWaiting = maxWaiting;
        this.blocks = kv.newBlockManager(maxSequences, contextWindow);
    }

    /** Queues a request; refused when the batch is full and {@code maxWaiting} requests wait already. */
    void add(Pending request) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the batcher is closed");
            }
            if (present >= (long) maxSequences + maxWaiting) {
                throw new OverCapacityException("over capacity: " + maxSequences + " sequences in the batch and "
                        + maxWaiting + " requests waiting", RETRY_AFTER_SECONDS);
            }
            present++;
            waiting.add(request);
            lock.notifyAll();
        }
    }

    /** The request's caller has its result (or failure): its place counts no more. */
    void left() {
        synchronized (lock) {
            present--;
        }
    }

    BlockManager blocks() {
        return blocks;
    }

    /** Sequences preempted so far (their blocks freed, recomputed later). */
    long preemptions() {
        return preemptions;
    }

    int waitingCount() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    List<Pending> running() {
        return running;
    }

    /** Waits for work, then admits the requests that join at this step boundary; false once closed. */
    boolean admit() throws InterruptedException {
        synchronized (lock) {
            while (!closed && waiting.isEmpty() && running.isEmpty()) {
                lock.wait();
            }
            if (closed) {
                return false;
            }
            dropCancelledWaiting();
            for (Iterator<Pending> it = waiting.iterator(); it.hasNext() && running.size() < maxSequences; ) {
                Pending entry = it.next();
                Sequence next = entry.sequence;
                if (!running.isEmpty() && limits.maxTokensInFlight() > 0
                        && reserved + next.capacity() > limits.maxTokensInFlight()) {
                    break;
                }
                // A prefix a running prompt is computing now: it waits until that is cached (most often the
                // next step) rather than compute it twice (n choices of one prompt arrive together); the
                // requests behind it do not wait for it.
                if (!running.isEmpty() && blocks.prefixBeingComputed(next.fill)) {
                    continue;
                }
                // The pool holds at least one context window, so with nothing running this succeeds.
                entry.blocks = blocks.allocate(next.fill);
                if (entry.blocks == null) {
                    break;
                }
                next.admitted = System.nanoTime();
                it.remove();
                running.add(entry);
                reserved += next.capacity();
            }
            return true;
        }
    }

    /**
     * Fails the waiting requests cancelled before they joined the batch (a deadline passed in the
     * queue, shutdown) with a {@link CancellationException}: they never ran.
     */
    private void dropCancelledWaiting() {
        for (Iterator<Pending> it = waiting.iterator(); it.hasNext(); ) {
            Pending r = it.next();
            CancellationToken.Reason why = r.sequence.cancellation.reason();
            if (why != null) {
                it.remove();
                if (r.sequence.outputs > 0) {
                    finishPreempted(r); // it ran before: its client has text already
                } else {
                    r.send(new CancellationException("cancelled (" + why + ") while waiting for a place in the batch"));
                }
            }
        }
    }

    /** A preempted sequence cancelled while it waits to run again ends "cancelled", as if it were running. */
    private static void finishPreempted(Pending r) {
        Postprocess.cancelIfRequested(r.sequence);
        try {
            r.send(Postprocess.complete(r.sequence));
        } catch (RuntimeException e) {
            r.send(e);
        }
    }

    /**
     * This step's share of prompt work: up to maxPrefillTokens, to the earliest-admitted prompts
     * first, each run by the runner its session asks for (its session opened at its first chunk).
     * While no sequence decodes, a runner that asks for it runs a prompt whole
     * ({@link StepRunner#prefillsWholeWhenAlone}).
     * Batch-invariant: a prompt runs in whole chunks of maxPrefillTokens from its start (the last one
     * shorter), never in what another prompt left of the budget, so where it is cut does not depend on
     * its neighbours; a chunk that does not fit waits for the next step.
     */
    void prefillChunks(LanguageModel model, Function<Sequence, StepRunner> runnerFor) {
        int budget = limits.maxPrefillTokens();
        boolean decoding = running.stream().anyMatch(r -> !r.sequence.prefilling() && !r.sequence.finished());
        for (Iterator<Pending> it = running.iterator(); it.hasNext() && budget > 0; ) {
            Pending r = it.next();
            if (!r.sequence.prefilling()) {
                continue;
            }
            int left = r.sequence.fill.length - r.sequence.fed;
            if (limits.batchInvariant() && Math.min(limits.maxPrefillTokens(), left) > budget) {
                continue;
            }
            try {
                Sequence s = r.sequence;
                if (s.session == null) {
                    openSession(model, r);
                }
                StepRunner runner = runnerFor.apply(s);
                // The budget bounds how long prompts stall running decodes; with none to stall, a runner
                // whose passes each cost a fixed amount runs the prompt whole.
                boolean whole = !decoding && !limits.batchInvariant() && runner.prefillsWholeWhenAlone();
                budget -= runner.prefill(s, whole ? Integer.MAX_VALUE : budget);
                blocks.cacheComputed(r.blocks, s.fill, s.fed);
            } catch (RuntimeException e) {
                it.remove();
                release(r);
                fail(r, e);
            }
        }
    }

    /** On a paged model, on its block table: the cached prefix's KV is in its blocks already, computing starts after it. */
    private static void openSession(LanguageModel model, Pending r) {
        Sequence s = r.sequence;
        if (model instanceof PagedKvModel paged) {
            s.session = paged.newSession(s.capacity(), r.blocks.ids(), r.blocks.cachedTokens());
            s.fed = r.blocks.cachedTokens();
        } else {
            s.session = model.newSession(s.capacity());
        }
    }

    /**
     * Gives every sequence that decodes next a block for its new position, oldest first. When the
     * pool runs out, the youngest running sequence is preempted (blocks freed, back to the head of
     * the queue, recomputed when admitted again), down to the needy one itself. Before the first
     * preemption {@code finishInFlight} takes the tokens of the steps launched ahead, so no step in
     * flight writes to freed blocks.
     */
    void growForDecode(LanguageModel model, Runnable finishInFlight) {
        boolean drained = false;
        for (int i = 0; i < running.size(); i++) {
            Pending r = running.get(i);
            Sequence s = r.sequence;
            if (s.prefilling() || !s.canLaunchAhead()) {
                continue;
            }
            int held = r.blocks.blocks();
            while (!blocks.grow(r.blocks, s.cachedPositions() + 1)) {
                if (!drained) {
                    drained = true;
                    finishInFlight.run();
                    retireFinished(); // what finished meanwhile frees its blocks first
                    i = -1;           // positions and the running list changed: start over
                    break;
                }
                Pending victim = running.get(running.size() - 1);
                preempt(victim);
                if (victim == r) {
                    i--;
                    break;
                }
            }
            if (r.blocks != null && r.blocks.blocks() > held && model instanceof PagedKvModel paged) {
                paged.grow(s.session, r.blocks.ids());
            }
        }
    }

    /**
     * Preemption by recompute: its cache dropped (session closed, none of its steps in flight), it
     * waits at the head of the queue to run prompt + output but the newest token as a prompt; the
     * newest is fed at the next decode step, so the sampler, detokenizer and stops go on as if
     * nothing happened.
     */
    private void preempt(Pending r) {
        Sequence s = r.sequence;
        if (s.launched != 0) throw new IllegalStateException("preempting a sequence with steps in flight");
        running.remove(r);
        release(r);
        s.closeSession();
        if (s.outputs > 0) {
            s.fill = Arrays.copyOf(s.prompt, s.prompt.length + s.outputs - 1);
            System.arraycopy(s.output, 0, s.fill, s.prompt.length, s.outputs - 1);
        }
        s.fed = 0;
        preemptions++;
        synchronized (lock) {
            waiting.addFirst(r);
        }
    }

    /** The running sequences that take a decode step now. */
    List<Sequence> decoding() {
        List<Sequence> batch = new ArrayList<>(running.size());
        for (Pending r : running) {
            if (!r.sequence.prefilling() && !r.sequence.finished()) {
                batch.add(r.sequence);
            }
        }
        return batch;
    }

    @Override
    public boolean live(Sequence sequence) {
        return entryOf(sequence) != null;
    }

    /** Fails a running sequence's request and takes it out of the batch. */
    @Override
    public void failed(Sequence sequence, RuntimeException e) {
        Pending r = entryOf(sequence);
        if (r != null) {
            drop(r, e);
        }
    }

    void drop(Pending r, RuntimeException e) {
        fail(r, e);
        running.remove(r);
        release(r);
    }

    /** Sends the finished (and the cancelled) their results and frees their sessions. */
    void retireFinished() {
        for (Iterator<Pending> it = running.iterator(); it.hasNext(); ) {
            Pending r = it.next();
            Postprocess.cancelIfRequested(r.sequence);
            if (r.sequence.finished()) {
                it.remove();
                release(r);
                try {
                    r.send(Postprocess.complete(r.sequence));
                } catch (RuntimeException e) {
                    fail(r, e);
                }
            }
        }
    }

    /** Closes the queue; every running and waiting request fails with {@code e}. */
    void closeAndFailAll(RuntimeException e) {
        running.forEach(r -> {
            fail(r, e);
            release(r);
        });
        running.clear();
        synchronized (lock) {
            closed = true;
            waiting.forEach(r -> fail(r, e));
            waiting.clear();
        }
    }

    /** Wakes the batch's thread to stop: {@link #admit} returns false. */
    void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }

    /** Gives back what a running entry holds: its blocks and its reservation. */
    private void release(Pending r) {
        blocks.free(r.blocks);
        r.blocks = null;
        reserved -= r.sequence.capacity();
    }

    private Pending entryOf(Sequence sequence) {
        for (Pending r : running) {
            if (r.sequence == sequence) return r;
        }
        return null;
    }

    private static void fail(Pending r, RuntimeException e) {
        try {
            r.sequence.closeSession();
        } finally {
            r.send(e);
        }
    }
}
