package dev.inferless.server;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.OverCapacityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the choices of one OpenAI request (its {@code n}, times each prompt of a list) at once, each
 * as a model call of its own with its own part of the request's token, so the engine batches them as
 * it batches separate requests. The first choice to fail cancels the others, and its failure is the
 * request's; the call returns once every choice has returned, so no work outlives the answer.
 *
 * <p>Every choice but the first runs on a thread of its own, taken from a bound shared by all
 * requests: without it, many requests of many choices would start threads without limit (each
 * request's HTTP thread is already bounded by the server). A request whose extra choices find no
 * room is refused as over capacity (429) before any of them runs.
 */
final class ParallelChoices {

    /** Choice threads running at once across requests, the first choice of each excluded. */
    static final int MAX_CHOICE_THREADS = 1024;
    private static final int RETRY_AFTER_SECONDS = 1;

    /** One choice's model call. */
    interface Choice<T> {
        T run(int index, CancellationToken token) throws Exception;
    }

    private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();
    private static final ExecutorService THREADS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "openai-choice-" + THREAD_NUMBER.incrementAndGet());
        t.setDaemon(true);
        return t;
    });

    private final Semaphore threads;

    ParallelChoices(int maxThreads) {
        this.threads = new Semaphore(maxThreads);
    }

    /** The choices' answers in index order; one choice runs on the calling thread with the request's token. */
    <T> List<T> run(int count, CancellationToken request, Choice<T> choice) throws Exception {
        if (count == 1) {
            List<T> one = new ArrayList<>(1);
            one.add(choice.run(0, request));
            return one;
        }
        if (!threads.tryAcquire(count - 1)) {
            throw new OverCapacityException("over capacity: " + (count - 1) + " more choices than the server runs at once ("
                    + MAX_CHOICE_THREADS + " choice threads, all requests together)", RETRY_AFTER_SECONDS);
        }
        CancellationToken[] tokens = new CancellationToken[count];
        Arrays.setAll(tokens, i -> request.part());
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        Object[] answers = new Object[count];
        List<Future<?>> others = new ArrayList<>(count - 1);
        int submitted = 1;
        try {
            for (; submitted < count; submitted++) {
                int index = submitted;
                others.add(THREADS.submit(() -> {
                    try {
                        answers[index] = attempt(choice, index, tokens, firstFailure);
                    } finally {
                        threads.release();
                    }
                }));
            }
        } catch (RuntimeException | Error e) { // no thread to be had: the request fails, the choices started stop
            threads.release(count - submitted);
            fail(firstFailure, e, tokens);
        }
        if (submitted == count) answers[0] = attempt(choice, 0, tokens, firstFailure);
        boolean interrupted = false;
        for (Future<?> other : others) {
            try {
                other.get(); // attempt() catches the choice's failure: this only waits
            } catch (InterruptedException e) {
                interrupted = true; // still wait: no choice outlives its request
                for (CancellationToken t : tokens) t.cancel(CancellationToken.Reason.SHUTDOWN);
            } catch (ExecutionException e) {
                fail(firstFailure, e.getCause(), tokens);
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        Throwable failure = firstFailure.get();
        if (failure instanceof Exception e) throw e;
        if (failure instanceof Error e) throw e;
        if (interrupted) throw new InterruptedException("interrupted while the choices ran");
        List<T> result = new ArrayList<>(count);
        for (Object a : answers) {
            @SuppressWarnings("unchecked")
            T answer = (T) a;
            result.add(answer);
        }
        return result;
    }

    /** The request fails with {@code failure} unless it failed already; nobody will read the other choices' answers. */
    private static void fail(AtomicReference<Throwable> firstFailure, Throwable failure, CancellationToken[] tokens) {
        if (firstFailure.compareAndSet(null, failure)) {
            for (CancellationToken t : tokens) t.cancel(CancellationToken.Reason.CLIENT_GONE);
        }
    }

    private static <T> T attempt(Choice<T> choice, int index, CancellationToken[] tokens,
                                 AtomicReference<Throwable> firstFailure) {
        try {
            return choice.run(index, tokens[index]);
        } catch (Exception | Error e) {
            fail(firstFailure, e, tokens);
            return null;
        }
    }
}
