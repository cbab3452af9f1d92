package dev.inferless.llm.checkpoint;

import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Touches the pages of a checkpoint's tensors on background threads, in the order they will be
 * loaded, so that copying a tensor to the device does not stop at every page of its memory map. A
 * copy from an untouched map takes a page fault per 4 KB; several threads take them in parallel
 * ahead of the single loading thread.
 */
public final class TensorPrefetcher implements AutoCloseable {

    private final ExecutorService pool;
    private final List<Future<?>> tasks = new ArrayList<>();

    /** Starts touching {@code groups} (lists of tensor names), each group by one task, in order. */
    public TensorPrefetcher(TensorStore store, List<List<String>> groups, int threads) {
        AtomicInteger id = new AtomicInteger();
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "tensor-prefetch-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        for (List<String> group : groups) {
            tasks.add(pool.submit(() -> group.forEach(name -> touch(store.bytes(name)))));
        }
    }

    private static void touch(ByteBuffer bytes) {
        if (bytes instanceof MappedByteBuffer mapped) {
            mapped.load();
        }
    }

    /** Groups touched so far (for tests and logs). */
    public int done() {
        return (int) tasks.stream().filter(Future::isDone).count();
    }

    /** Stops what has not run yet; a prefetch is only an optimization, so nothing is waited for. */
    @Override
    public void close() {
        pool.shutdownNow();
    }
}
