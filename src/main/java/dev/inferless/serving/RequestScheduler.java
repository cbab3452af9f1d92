package dev.inferless.serving;

import dev.inferless.api.OverCapacityException;
import dev.inferless.api.BadInputException;
import dev.inferless.api.CancellationToken;
import dev.inferless.schema.InvalidInputException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
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
import java.util.function.IntSupplier;

/**
 * Sits between the protocols and the model: for a plain model it owns the concurrency limit (slots)
 * and the queue of requests waiting for a slot; the request's {@link CancellationToken} carries its
 * deadline. The model call runs on a worker thread so that a request past its deadline can answer
 * at once; its token is cancelled so a cooperative model stops early. The slot belongs to the model
 * call, not to the answer: a call that outlives its deadline keeps its slot until it returns, so the
 * limit holds for models that ignore cancellation, and {@link #seal} can wait for every call to
 * leave the model.
 *
 * <p>An LLM model's engine queues and limits its requests itself ({@link #useEngineQueue}): its calls
 * then take no slot and wait in no queue here; this still answers at the deadline, refuses new work
 * while shutting down, cancels at the end of the grace period, and reports the engine's queue.
 */
public final class RequestScheduler {

    private static final int RETRY_AFTER_SECONDS = 1;
    /** How often a request waiting for a slot looks whether the scheduler was sealed meanwhile. */
    private static final long SEAL_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final Semaphore slots;
    private final int queueSize;
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Calls inside the model now, those past their deadline included. */
    private final AtomicInteger inModel = new AtomicInteger();
    private final Set<CancellationToken> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean sealed;
    /** The waiting requests of the engine that queues for the model; null for a plain model. */
    private volatile IntSupplier engineQueue;
    private final ExecutorService workers;

    public RequestScheduler(int concurrency, int queueSize) {
        this.slots = new Semaphore(concurrency, true);
        this.queueSize = queueSize;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "model-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * From now on the model's own engine is its one queue and limit: calls take no slot, and
     * {@code waiting} (the engine's queue depth) is what {@link #queued} reports.
     */
    public void useEngineQueue(IntSupplier waiting) {
        this.engineQueue = waiting;
    }

    /**
     * Runs {@code work} for the request of {@code token} on a worker thread, within the token's
     * deadline: in a slot, or with none when an engine queues for the model. The token is cancelled
     * at the deadline and at the end of the grace period ({@link #cancelAll}); the caller may cancel
     * it too.
     */
    public <T> T run(Callable<T> work, CancellationToken token) throws NotServingException, OverCapacityException,
            DeadlineExceededException, ModelFailureException, InvalidInputException, InterruptedException {
        if (closed.get()) {
            throw new NotServingException("shutting down");
        }
        boolean slot = engineQueue == null;
        if (slot) {
            acquireSlot(token);
        }
        // From here the slot belongs to the task below, which gives it back when the model call returns.
        inFlight.incrementAndGet();
        running.add(token);
        Future<T> result;
        try {
            result = workers.submit(() -> {
                inModel.incrementAndGet();
                try {
                    if (sealed) {
                        throw new NotServingException("shutting down");
                    }
                    if (token.isCancelled()) {
                        return null; // abandoned before it started; nobody reads the result
                    }
                    return work.call();
                } finally {
                    inModel.decrementAndGet();
                    running.remove(token);
                    inFlight.decrementAndGet();
                    if (slot) slots.release();
                }
            });
        } catch (RejectedExecutionException e) {
            running.remove(token);
            inFlight.decrementAndGet();
            if (slot) slots.release();
            throw new NotServingException("shutting down");
        }
        try {
            T answer = result.get(token.nanosLeft(), TimeUnit.NANOSECONDS);
            if (token.reason() == CancellationToken.Reason.DEADLINE) {
                // the model saw the deadline in its token and returned early: its answer came too late
                throw new DeadlineExceededException("no result within the deadline of " + seconds(token));
            }
            return answer;
        } catch (TimeoutException e) {
            // No interrupt: it would close NIO channels a model may read weights through; the token is the signal.
            token.cancel(CancellationToken.Reason.DEADLINE);
            throw new DeadlineExceededException("no result within the deadline of " + seconds(token));
        } catch (InterruptedException e) {
            token.cancel(CancellationToken.Reason.SHUTDOWN);
            throw e;
        } catch (ExecutionException e) {
            throw failure(e.getCause(), token);
        }
    }

    /**
     * A model call's exception as the request's failure: shutting down, bad input, over capacity, the
     * cancellation's own answer (the engine fails a request cancelled while it waited for the batch:
     * 504 past the deadline, 503 at shutdown), or the model's failure.
     */
    private ModelFailureException failure(Throwable cause, CancellationToken token) throws NotServingException,
            OverCapacityException, InvalidInputException, DeadlineExceededException {
        String message = cause.getMessage() == null ? cause.getClass().getName() : cause.getMessage();
        if (cause instanceof NotServingException notServing) {
            throw notServing;
        }
        if (cause instanceof OverCapacityException over) {
            throw over;
        }
        if (cause instanceof BadInputException bad) {
            throw new InvalidInputException(message, bad.code());
        }
        if (cause instanceof CancellationException && token.reason() == CancellationToken.Reason.DEADLINE) {
            throw new DeadlineExceededException("no place in the batch within the deadline of " + seconds(token));
        }
        if (cause instanceof CancellationException && token.reason() == CancellationToken.Reason.SHUTDOWN) {
            throw new NotServingException("shutting down");
        }
        return new ModelFailureException(message, cause);
    }

    private void acquireSlot(CancellationToken token) throws NotServingException, OverCapacityException,
            DeadlineExceededException, InterruptedException {
        if (slots.tryAcquire()) {
            return;
        }
        if (queued.incrementAndGet() > queueSize) {
            queued.decrementAndGet();
            throw new OverCapacityException("over capacity: all slots busy and " + queueSize + " requests queued",
                    RETRY_AFTER_SECONDS);
        }
        try {
            while (!slots.tryAcquire(Math.min(SEAL_CHECK_NANOS, token.nanosLeft()), TimeUnit.NANOSECONDS)) {
                if (sealed) {
                    throw new NotServingException("shutting down");
                }
                if (token.pastDeadline()) {
                    throw new DeadlineExceededException("no free slot within the deadline of " + seconds(token));
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

    /** Requests running in the model (with an engine queue: those it has admitted). */
    public int inFlight() {
        IntSupplier engine = engineQueue;
        return engine == null ? inFlight.get() : Math.max(0, inFlight.get() - engine.getAsInt());
    }

    /** Requests waiting: for a slot, or in the engine's queue. */
    public int queued() {
        IntSupplier engine = engineQueue;
        return engine == null ? queued.get() : engine.getAsInt();
    }
    /** New requests are refused from now on; admitted ones go on. */
    public void close() {
        closed.set(true);
    }

    /** Waits until nothing is queued or in flight, up to {@code grace}; true when idle. */
    public boolean awaitIdle(Duration grace) throws InterruptedException {
        long end = System.nanoTime() + grace.toNanos();
        while (inFlight.get() + queued.get() > 0) { // engine-queued requests count in inFlight
            if (System.nanoTime() >= end) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** Cancels every running request (the grace period is over). */
    public void cancelAll() {
        running.forEach(token -> token.cancel(CancellationToken.Reason.SHUTDOWN));
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

    private static String seconds(CancellationToken token) {
        return token.timeout().toMillis() / 1000.0 + " s";
    }
}
