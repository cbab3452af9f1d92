package dev.inferless.server;

import dev.inferless.api.CancellationToken;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the choices of one OpenAI request (its {@code n}, times each prompt of a list) at once, each
 * as a model call of its own with its own part of the request's token, so the engine batches them as
 * it batches separate requests. The first choice to fail cancels the others, and its failure is the
 * request's; the call returns once every choice has returned, so no work outlives the answer.
 */
final class ParallelChoices {

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

    private ParallelChoices() {}

    /** The choices' answers in index order; one choice runs on the calling thread with the request's token. */
    static <T> List<T> run(int count, CancellationToken request, Choice<T> choice) throws Exception {
        if (count == 1) {
            List<T> one = new ArrayList<>(1);
            one.add(choice.run(0, request));
            return one;
        }
        CancellationToken[] tokens = new CancellationToken[count];
        Arrays.setAll(tokens, i -> request.part());
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        Object[] answers = new Object[count];
        List<Future<?>> others = new ArrayList<>(count - 1);
        for (int i = 1; i < count; i++) {
            int index = i;
            others.add(THREADS.submit(() -> answers[index] = attempt(choice, index, tokens, firstFailure)));
        }
        answers[0] = attempt(choice, 0, tokens, firstFailure);
        try {
            for (Future<?> other : others) {
                other.get(); // attempt() catches the choice's failure: this only waits
            }
        } catch (InterruptedException e) {
            for (CancellationToken t : tokens) t.cancel(CancellationToken.Reason.SHUTDOWN);
            throw e;
        } catch (ExecutionException e) {
            throw new IllegalStateException("a choice's thread failed: " + e.getCause(), e.getCause());
        }
        if (firstFailure.get() != null) {
            throw firstFailure.get();
        }
        List<T> result = new ArrayList<>(count);
        for (Object a : answers) {
            @SuppressWarnings("unchecked")
            T answer = (T) a;
            result.add(answer);
        }
        return result;
    }

    private static <T> T attempt(Choice<T> choice, int index, CancellationToken[] tokens,
                                 AtomicReference<Exception> firstFailure) {
        try {
            return choice.run(index, tokens[index]);
        } catch (Exception e) {
            if (firstFailure.compareAndSet(null, e)) {
                // the request fails: nobody will read the other choices' answers
                for (CancellationToken t : tokens) t.cancel(CancellationToken.Reason.CLIENT_GONE);
            }
            return null;
        }
    }
}
