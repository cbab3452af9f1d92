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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sits between the protocols and the model: owns the concurrency limit (slots), the queue of
 * requests waiting for a slot, and the per-request deadline. The model call runs on a worker
 * thread so that a request past its deadline can answer at once; its cancellation flag flips so
 * a cooperative model stops early. The slot belongs to the model call, not to the answer: a call
 * that outlives its deadline keeps its slot until it returns, so the limit holds for models that
 * ignore cancellation, and {@link #seal} can wait for every call to leave the model.
 */
public final class RequestScheduler {

    private static final int RETRY_AFTER_SECONDS = 1;
    /** How often a request waiting for a slot looks whether the scheduler was sealed meanwhile. */
    private static final long SEAL_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final Semaphore slots;
    private final int queueSize;
    private final Duration timeout;
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Calls inside the model now, those past their deadline included. */
    private final AtomicInteger inModel = new AtomicInteger();
    private final Set<AtomicBoolean> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean sealed;
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
        return run(work, new AtomicBoolean());
    }

    /**
     * As {@link #run(Callable)}, with the request's cancellation flag given by the caller, who may
     * flip it (the client went away).
     */
    public <T> T run(Callable<T> work, AtomicBoolean cancelled) throws NotServingException, OverCapacityException,
            DeadlineExceededException, ModelFailureException, InvalidInputException, InterruptedException {
        if (closed.get()) {
            throw new NotServingException("shutting down");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        acquireSlot(deadline);
        // From here the slot belongs to the task below, which gives it back when the model call returns.
        inFlight.incrementAndGet();
        running.add(cancelled);
        Future<T> result;
        try {
            result = workers.submit(() -> {
                inModel.incrementAndGet();
                try {
                    if (sealed) {
                        throw new NotServingException("shutting down");
                    }
                    if (cancelled.get()) {
                        return null; // abandoned before it started; nobody reads the result
                    }
                    Cancellation.bind(cancelled, deadline);
                    try {
                        return work.call();
                    } finally {
                        Cancellation.unbind();
                    }
                } finally {
                    inModel.decrementAndGet();
                    running.remove(cancelled);
                    inFlight.decrementAndGet();
                    slots.release();
                }
            });
        } catch (RejectedExecutionException e) {
            running.remove(cancelled);
            inFlight.decrementAndGet();
            slots.release();
            throw new NotServingException("shutting down");
        }
        try {
            return result.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // No interrupt: it would close NIO channels a model may read weights through; the flag is the signal.
            cancelled.set(true);
            throw new DeadlineExceededException("no result within the deadline of " + seconds(timeout));
        } catch (InterruptedException e) {
            cancelled.set(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String message = cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
            if (cause instanceof NotServingException) {
                throw (NotServingException) cause;
            }
            if (cause instanceof BadInputException bad) {
                throw new InvalidInputException(message, bad.code());
            }
            throw new ModelFailureException(message, cause);
        }
    }

    private void acquireSlot(long deadline) throws NotServingException, OverCapacityException, DeadlineExceededException,
            InterruptedException {
        if (slots.tryAcquire()) {
            return;
        }
        if (queued.incrementAndGet() > queueSize) {
            queued.decrementAndGet();
            throw new OverCapacityException("over capacity: all slots busy and " + queueSize + " requests queued",
                    RETRY_AFTER_SECONDS);
        }
        try {
            while (!slots.tryAcquire(Math.min(SEAL_CHECK_NANOS, Math.max(0, deadline - System.nanoTime())),
                    TimeUnit.NANOSECONDS)) {
                if (sealed) {
                    throw new NotServingException("shutting down");
                }
                if (System.nanoTime() >= deadline) {
                    throw new DeadlineExceededException("no free slot within the deadline of " + seconds(timeout));
                }
            }
        } finally {
            queued.decrementAndGet();
        }
        if (sealed) {
            slots.release();
            throw new NotServingException("shutting down");
        }
    }

    /** Requests holding a slot: answered or not, their model call has not returned yet. */
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

    /**
     * No model call starts from now on (queued requests get {@link NotServingException}); waits up
     * to {@code patience} for the calls inside the model to return. True when none is left, so
     * the model may be finalized.
     */
    public boolean seal(Duration patience) throws InterruptedException {
        sealed = true;
        long end = System.nanoTime() + patience.toNanos();
        while (inModel.get() > 0) {
            if (System.nanoTime() >= end) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** Calls inside the model now, those past their deadline included. */
    public int inModel() {
        return inModel.get();
    }

    public void shutdownWorkers() {
        workers.shutdownNow();
    }

    private static String seconds(Duration d) {
        return d.toMillis() / 1000.0 + " s";
    }
}
