package dev.inferless.llm.engine;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.OverCapacityException;
import dev.inferless.llm.model.LanguageModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
 * in flight), gives the prefilling sequences this step's prompt-token budget (chunked prefill: a
 * long prompt delays running decodes by a bounded chunk per step), and retires the finished and
 * the cancelled. Knows no tensors. All but {@link #add}, {@link #left} and {@link #waitingCount} run on the
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
    private volatile long reserved;                          // KV positions of the running; written by the batch's thread

    /** {@code maxWaiting}: requests that may wait for a place in the batch (server.queue_size). */
    Scheduler(BatchLimits limits, int maxSessions, int maxWaiting) {
        this.limits = limits;
        this.maxSequences = Math.min(limits.maxBatchSize(), maxSessions);
        this.maxWaiting = maxWaiting;
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

    /** KV positions the running sequences reserve (prompt + output budget each). */
    long reserved() {
        return reserved;
    }

    int maxSequences() {
        return maxSequences;
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
            while (running.size() < maxSequences && !waiting.isEmpty()) {
                Sequence next = waiting.peek().sequence;
                if (!running.isEmpty() && limits.maxTokensInFlight() > 0
                        && reserved + next.capacity() > limits.maxTokensInFlight()) {
                    break;
                }
                next.admitted = System.nanoTime();
                running.add(waiting.poll());
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
                r.send(new CancellationException("cancelled (" + why + ") while waiting for a place in the batch"));
            }
        }
    }

    /**
     * This step's share of prompt work: up to maxPrefillTokens, to the earliest-admitted prompts
     * first, each run by the runner its session asks for (its session opened at its first chunk).
     */
    void prefillChunks(LanguageModel model, Function<Sequence, StepRunner> runnerFor) {
        int budget = limits.maxPrefillTokens();
        for (Iterator<Pending> it = running.iterator(); it.hasNext() && budget > 0; ) {
            Pending r = it.next();
            if (!r.sequence.prefilling()) {
                continue;
            }
            try {
                Sequence s = r.sequence;
                if (s.session == null) {
                    s.session = model.newSession(s.capacity());
                }
                budget -= runnerFor.apply(s).prefill(s, budget);
            } catch (RuntimeException e) {
                it.remove();
                reserved -= r.sequence.capacity();
                fail(r, e);
            }
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
        reserved -= r.sequence.capacity();
    }

    /** Sends the finished (and the cancelled) their results and frees their sessions. */
    void retireFinished() {
        for (Iterator<Pending> it = running.iterator(); it.hasNext(); ) {
            Pending r = it.next();
            Postprocess.cancelIfRequested(r.sequence);
            if (r.sequence.finished()) {
                it.remove();
                reserved -= r.sequence.capacity();
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
        running.forEach(r -> fail(r, e));
        running.clear();
        reserved = 0;
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
