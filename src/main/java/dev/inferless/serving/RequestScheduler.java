package dev.inferless.serving;

import dev.inferless.api.BadInputException;
import dev.inferless.schema.InvalidInputException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sits between the protocols and the model: owns the concurrency limit (slots), the queue of
 * requests waiting for a slot, and the per-request deadline. The model call runs on a worker
 * thread so that a request past its deadline can answer at once and give its slot back; its
 * cancellation flag flips so a cooperative model stops early.
 */
public final class RequestScheduler {

    private static final int RETRY_AFTER_SECONDS = 1;

    private final Semaphore slots;
    private final int queueSize;
    private final Duration timeout;
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Set<AtomicBoolean> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ExecutorService workers;

    public RequestScheduler(int concurrency, int queueSize, Duration timeout) {
        this.slots = new Semaphore(concurrency, true);
        this.queueSize = queueSize;
        this.timeout = timeout;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "model-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code work} in a slot, on a worker thread, within the deadline. */
    public <T> T run(Callable<T> work) throws NotServingException, OverCapacityException, DeadlineExceededException,
            ModelFailureException, InvalidInputException, InterruptedException {
        if (closed.get()) {
            throw new NotServingException("shutting down");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        acquireSlot(deadline);
        AtomicBoolean cancelled = new AtomicBoolean();
        inFlight.incrementAndGet();
        running.add(cancelled);
        try {
            Future<T> result = workers.submit(() -> {
                Cancellation.bind(cancelled, deadline);
                try {
                    return work.call();
                } finally {
                    Cancellation.unbind();
                }
            });
            try {
                return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // No interrupt: it would close NIO channels a model may read weights through; the flag is the signal.
                cancelled.set(true);
                result.cancel(false);
                throw new DeadlineExceededException("no result within the deadline of " + seconds(timeout));
            } catch (InterruptedException e) {
                cancelled.set(true);
                result.cancel(false);
                throw e;
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                String message = cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
                if (cause instanceof BadInputException bad) {
                    throw new InvalidInputException(message, bad.code());
                }
                throw new ModelFailureException(message, cause);
            }
        } finally {
            running.remove(cancelled);
            inFlight.decrementAndGet();
            slots.release();
        }
    }

    private void acquireSlot(long deadline) throws OverCapacityException, DeadlineExceededException, InterruptedException {
        if (slots.tryAcquire()) {
            return;
        }
        if (queued.incrementAndGet() > queueSize) {
            queued.decrementAndGet();
            throw new OverCapacityException("over capacity: all slots busy and " + queueSize + " requests queued",
                    RETRY_AFTER_SECONDS);
        }
        try {
            if (!slots.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new DeadlineExceededException("no free slot within the deadline of " + seconds(timeout));
            }
        } finally {
            queued.decrementAndGet();
        }
    }

    public int inFlight() {
        return inFlight.get();
    }

    public int queued() {
        return queued.get();
    }

    /** New requests are refused from now on; admitted ones go on. */
    public void close() {
        closed.set(true);
    }

    /** Waits until nothing is queued or in flight, up to {@code grace}; true when idle. */
    public boolean awaitIdle(Duration grace) throws InterruptedException {
        long end = System.nanoTime() + grace.toNanos();
        while (inFlight.get() + queued.get() > 0) {
            if (System.nanoTime() >= end) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** Flips the cancellation flag of every running request (the grace period is over). */
    public void cancelAll() {
        running.forEach(flag -> flag.set(true));
    }

    public void shutdownWorkers() {
        workers.shutdownNow();
    }

    private static String seconds(Duration d) {
        return d.toMillis() / 1000.0 + " s";
    }
}
