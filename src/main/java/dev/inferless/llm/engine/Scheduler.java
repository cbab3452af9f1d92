package dev.inferless.llm.engine;

import dev.inferless.llm.model.LanguageModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * What runs next in the continuous batch, and the LLM's only queue: at each step boundary it
 * admits waiting requests in arrival order within the {@link BatchLimits} (sequences, KV positions
 * in flight), gives the prefilling sequences this step's prompt-token budget (chunked prefill: a
 * long prompt delays running decodes by a bounded chunk per step), and retires the finished and
 * the cancelled. Knows no tensors. All but {@link #add} and {@link #waitingCount} run on the batch's thread.
 */
final class Scheduler implements StepRunner.Batch {

    /** A request's way back to its caller: text pieces, then a result or a failure. */
    static final class Entry {
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        volatile boolean abandoned;
        Sequence sequence;
    }

    private final BatchLimits limits;
    private final int maxSequences;
    private final Object lock = new Object();
    private final Deque<Entry> waiting = new ArrayDeque<>(); // guarded by lock
    private boolean closed;                                  // guarded by lock
    private final List<Entry> running = new ArrayList<>();
    private volatile long reserved;                          // KV positions of the running; written by the batch's thread

    Scheduler(BatchLimits limits, int maxSessions) {
        this.limits = limits;
        this.maxSequences = Math.min(limits.maxBatchSize(), maxSessions);
    }

    void add(Entry entry) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the batcher is closed");
            }
            waiting.add(entry);
            lock.notifyAll();
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

    List<Entry> running() {
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
            while (running.size() < maxSequences && !waiting.isEmpty()) {
                Sequence next = waiting.peek().sequence;
                if (!running.isEmpty() && limits.maxTokensInFlight() > 0
                        && reserved + next.capacity() > limits.maxTokensInFlight()) {
                    break;
                }
                next.admitted();
                running.add(waiting.poll());
                reserved += next.capacity();
            }
            return true;
        }
    }

    /**
     * This step's share of prompt work: up to maxPrefillTokens, to the earliest-admitted prompts first.
     * Batch-invariant: a prompt runs in whole chunks of maxPrefillTokens from its start (the last one
     * shorter), never in what another prompt left of the budget, so where it is cut does not depend on
     * its neighbours; a chunk that does not fit waits for the next step.
     */
    void prefillChunks(LanguageModel model) {
        int budget = limits.maxPrefillTokens();
        for (Iterator<Entry> it = running.iterator(); it.hasNext() && budget > 0; ) {
            Entry r = it.next();
            if (!r.sequence.prefilling()) {
                continue;
            }
            if (limits.batchInvariant() && Math.min(limits.maxPrefillTokens(), r.sequence.promptLeft()) > budget) {
                continue;
            }
            try {
                budget -= r.sequence.prefillChunk(model, budget);
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
        for (Entry r : running) {
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
        Entry r = entryOf(sequence);
        if (r != null) {
            drop(r, e);
        }
    }

    void drop(Entry r, RuntimeException e) {
        fail(r, e);
        running.remove(r);
        reserved -= r.sequence.capacity();
    }

    /** Sends the finished (and the cancelled) their results and frees their sessions. */
    void retireFinished() {
        for (Iterator<Entry> it = running.iterator(); it.hasNext(); ) {
            Entry r = it.next();
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

    private Entry entryOf(Sequence sequence) {
        for (Entry r : running) {
            if (r.sequence == sequence) return r;
        }
        return null;
    }

    private static void fail(Entry r, RuntimeException e) {
        try {
            r.sequence.closeSession();
        } finally {
            r.events.add(e);
        }
    }
}
