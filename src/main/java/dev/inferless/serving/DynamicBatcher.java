package dev.inferless.serving;

import dev.inferless.config.ConfigException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Dynamic batching for models that set {@code batch_size} > 1 (Inferless's knob): requests already
 * holding a slot meet here; the first opens a batch, which closes when {@code batch_size} requests
 * have joined or {@code batch_window} ms have passed since it opened. The first request's thread
 * then runs the whole batch through {@code inferBatch} and hands each request its own output. A
 * failure of the batch call reaches the requests of that batch only.
 */
final class DynamicBatcher {

    private final ModelHost host;
    private final int batchSize;
    private final long windowNanos;
    private final Object lock = new Object();
    private List<Pending> open; // the batch gathering now; guarded by lock

    private record Pending(Map<String, Object> inputs, CompletableFuture<Map<String, Object>> output) {}

    private DynamicBatcher(ModelHost host, int batchSize, long windowMs) {
        this.host = host;
        this.batchSize = batchSize;
        this.windowNanos = windowMs * 1_000_000L;
    }

    /** The batcher the repo's {@code model.batch_size} / {@code model.batch_window} ask for; null when batch_size is 1 or absent. */
    static DynamicBatcher forRepo(ModelHost host) {
        Map<String, Object> config = host.repo().modelConfig();
        int size = integer(config, "batch_size", 1, 1);
        int window = integer(config, "batch_window", 0, 0);
        return size > 1 ? new DynamicBatcher(host, size, window) : null;
    }

    Map<String, Object> infer(Map<String, Object> inputs) throws Exception {
        Pending mine = new Pending(inputs, new CompletableFuture<>());
        List<Pending> batch;
        boolean first;
        synchronized (lock) {
            first = open == null;
            if (first) {
                open = new ArrayList<>();
            }
            batch = open;
            batch.add(mine);
            if (batch.size() >= batchSize) {
                open = null;
                lock.notifyAll();
            }
        }
        if (first) {
            awaitClose(batch);
            run(batch);
        }
        try {
            return mine.output().get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : new IllegalStateException(e.getCause());
        }
    }

    /** Waits until the batch is full or its window is over; then no one else joins it. */
    private void awaitClose(List<Pending> batch) throws InterruptedException {
        long end = System.nanoTime() + windowNanos;
        synchronized (lock) {
            long left;
            while (open == batch && (left = end - System.nanoTime()) > 0) {
                lock.wait(Math.max(1, left / 1_000_000L));
            }
            if (open == batch) {
                open = null;
            }
        }
    }

    private void run(List<Pending> batch) {
        List<Map<String, Object>> inputs = batch.stream().map(Pending::inputs).toList();
        try {
            host.observeBatchSize(batch.size());
            List<Map<String, Object>> outputs = host.inferBatch(inputs);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).output().complete(outputs.get(i));
            }
        } catch (Throwable e) {
            batch.forEach(p -> p.output().completeExceptionally(e));
        }
    }

    private static int integer(Map<String, Object> config, String key, int fallback, int min) {
        Object v = config.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number n && n.doubleValue() == n.intValue() && n.intValue() >= min) {
            return n.intValue();
        }
        if (v instanceof String s && s.trim().matches("[0-9]{1,9}") && Integer.parseInt(s.trim()) >= min) {
            return Integer.parseInt(s.trim());
        }
        throw new ConfigException("model." + key + " must be an integer >= " + min + ", got " + v);
    }
}
