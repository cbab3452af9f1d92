package dev.inferless.llm.engine;

import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.PagedKvModel;
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
 * in flight) and the free KV blocks ({@link BlockManager}: a prompt's cached prefix costs none),
 * gives the prefilling sequences this step's prompt-token budget (chunked prefill: a long prompt
 * delays running decodes by a bounded chunk per step), grows the decoding sequences' blocks,
 * preempting the youngest when the pool runs out, and retires the finished and the cancelled.
 * Knows no tensors. All but {@link #add}, {@link #waitingCount} and the counters run on the batch's thread.
 */
final class Scheduler implements StepRunner.Batch {

    /** A request's way back to its caller: text pieces, then a result or a failure. */
    static final class Entry {
        final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        volatile boolean abandoned;
        Sequence sequence;
        BlockManager.BlockTable blocks; // while running
    }

    private final BatchLimits limits;
    private final int maxSequences;
    private final Object lock = new Object();
    private final Deque<Entry> waiting = new ArrayDeque<>(); // guarded by lock
    private boolean closed;                                  // guarded by lock
    private final List<Entry> running = new ArrayList<>();
    private volatile long reserved;                          // KV positions of the running; written by the batch's thread
    private final BlockManager blocks;
    private volatile long preemptions;

    Scheduler(BatchLimits limits, int maxSessions, KvCacheSettings kv, int contextWindow) {
        this.limits = limits;
        this.maxSequences = Math.min(limits.maxBatchSize(), maxSessions);
        this.blocks = kv.newBlockManager(maxSequences, contextWindow);
    }

    BlockManager blocks() {
        return blocks;
    }

    /** Sequences preempted so far (their blocks freed, recomputed later). */
    long preemptions() {
        return preemptions;
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
                Entry entry = waiting.peek();
                Sequence next = entry.sequence;
                if (!running.isEmpty() && limits.maxTokensInFlight() > 0
                        && reserved + next.capacity() > limits.maxTokensInFlight()) {
                    break;
                }
                // The pool holds at least one context window, so with nothing running this succeeds.
                entry.blocks = blocks.allocate(next.fillTokens());
                if (entry.blocks == null) {
                    break;
                }
                next.admitted();
                running.add(waiting.poll());
                reserved += next.capacity();
            }
            return true;
        }
    }

    /** This step's share of prompt work: up to maxPrefillTokens, to the earliest-admitted prompts first. */
    void prefillChunks(LanguageModel model) {
        int budget = limits.maxPrefillTokens();
        for (Iterator<Entry> it = running.iterator(); it.hasNext() && budget > 0; ) {
            Entry r = it.next();
            if (!r.sequence.prefilling()) {
                continue;
            }
            try {
                budget -= r.sequence.prefillChunk(model, budget, r.blocks);
                blocks.cacheComputed(r.blocks, r.sequence.fillTokens(), r.sequence.filled());
            } catch (RuntimeException e) {
                it.remove();
                release(r);
                fail(r, e);
            }
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
            Entry r = running.get(i);
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
                Entry victim = running.get(running.size() - 1);
                preempt(victim);
                if (victim == r) {
                    i--;
                    break;
                }
            }
            if (r.blocks != null && r.blocks.blocks() > held && model instanceof PagedKvModel paged) {
                paged.grow(s.session(), r.blocks.ids());
            }
        }
    }

    private void preempt(Entry r) {
        running.remove(r);
        release(r);
        r.sequence.preempt();
        preemptions++;
        synchronized (lock) {
            waiting.addFirst(r);
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
        release(r);
    }

    /** Sends the finished (and the cancelled) their results and frees their sessions. */
    void retireFinished() {
        for (Iterator<Entry> it = running.iterator(); it.hasNext(); ) {
            Entry r = it.next();
            r.sequence.cancelIfRequested();
            if (r.sequence.finished()) {
                it.remove();
                release(r);
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
    private void release(Entry r) {
        blocks.free(r.blocks);
        r.blocks = null;
        reserved -= r.sequence.capacity();
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
