package dev.inferless.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.OverCapacityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class RequestSchedulerTest {

    private static final Duration LONG = Duration.ofSeconds(120);

    @Test
    void slotsThenQueueThenRejection() throws Exception {
        RequestScheduler scheduler = new RequestScheduler(2, 1);
        CountDownLatch release = new CountDownLatch(1);
        List<CompletableFuture<String>> admitted = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String name = "r" + i;
            admitted.add(async(() -> scheduler.run(() -> {
                release.await();
                return name;
            }, CancellationToken.withTimeout(LONG))));
        }
        waitFor(() -> scheduler.inFlight() == 2 && scheduler.queued() == 1);
        assertThatThrownBy(() -> scheduler.run(() -> "over", CancellationToken.withTimeout(LONG))).isInstanceOf(OverCapacityException.class)
                .satisfies(e -> assertThat(((OverCapacityException) e).retryAfterSeconds()).isPositive());
        release.countDown();
        for (int i = 0; i < 3; i++) {
            assertThat(admitted.get(i).get(60, TimeUnit.SECONDS)).isEqualTo("r" + i);
        }
        assertThat(scheduler.inFlight() + scheduler.queued()).isZero();
    }

    @Test
    void theDeadlineAnswersAtOnceFlipsTheFlagAndTheReturningCallFreesTheSlot() throws Exception {
        RequestScheduler scheduler = new RequestScheduler(1, 0);
        AtomicBoolean sawCancel = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(1);
        CancellationToken cancelled = CancellationToken.withTimeout(Duration.ofMillis(300));
        assertThatThrownBy(() -> scheduler.run(() -> {
            while (!cancelled.isCancelled()) {
                Thread.sleep(2);
            }
            sawCancel.set(true);
            stopped.countDown();
            return "late";
        }, cancelled)).isInstanceOf(DeadlineExceededException.class).hasMessageContaining("deadline");
        assertThat(stopped.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(sawCancel).isTrue();
        waitFor(() -> scheduler.inFlight() == 0); // the slot comes back when the call returns, not at the deadline
        assertThat(scheduler.run(() -> "next", CancellationToken.withTimeout(LONG))).isEqualTo("next");
    }

    @Test
    void aThrowingModelIsAModelFailureWithItsMessage() throws Exception {
        RequestScheduler scheduler = new RequestScheduler(1, 0);
        assertThatThrownBy(() -> scheduler.run(() -> {
            throw new IllegalArgumentException("bad prompt");
        }, CancellationToken.withTimeout(LONG))).isInstanceOf(ModelFailureException.class).hasMessage("bad prompt");
        assertThat(scheduler.run(() -> 1, CancellationToken.withTimeout(LONG))).isEqualTo(1);
    }

    @Test
    void closedRefusesNewWorkAndGraceCancelsRunningWork() throws Exception {
        RequestScheduler scheduler = new RequestScheduler(1, 0);
        CancellationToken cancelled = CancellationToken.withTimeout(LONG);
        CompletableFuture<Boolean> running = async(() -> scheduler.run(() -> {
            while (!cancelled.isCancelled()) {
                Thread.sleep(2);
            }
            return true;
        }, cancelled));
        waitFor(() -> scheduler.inFlight() == 1);
        scheduler.close();
        assertThatThrownBy(() -> scheduler.run(() -> 1, CancellationToken.withTimeout(LONG))).isInstanceOf(NotServingException.class);
        assertThat(scheduler.awaitIdle(Duration.ofMillis(50))).isFalse();
        scheduler.cancelAll();
        assertThat(running.get(60, TimeUnit.SECONDS)).isTrue();
        assertThat(scheduler.awaitIdle(Duration.ofSeconds(60))).isTrue();
    }

    /**
     * With an engine queueing for the model, calls take no slot (concurrency 1 here, two calls inside),
     * the engine's queue is the one reported, the engine's refusal is over capacity, a call that
     * returns past its deadline is the deadline's, and one the engine failed while waiting at
     * shutdown is answered as still queued.
     */
    @Test
    void anEngineQueuedModelTakesNoSlotAndTheEngineIsItsOneQueueAndLimit() throws Exception {
        RequestScheduler scheduler = new RequestScheduler(1, 0);
        scheduler.useEngineQueue(() -> 7);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch inside = new CountDownLatch(2);
        List<CompletableFuture<String>> calls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            calls.add(async(() -> scheduler.run(() -> {
                inside.countDown();
                release.await();
                return "done";
            }, CancellationToken.withTimeout(LONG))));
        }
        assertThat(inside.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(scheduler.queued()).isEqualTo(7);
        release.countDown();
        for (CompletableFuture<String> call : calls) {
            assertThat(call.get(60, TimeUnit.SECONDS)).isEqualTo("done");
        }
        assertThatThrownBy(() -> scheduler.run(() -> {
            throw new OverCapacityException("over capacity: the engine's queue is full", 1);
        }, CancellationToken.withTimeout(LONG))).isInstanceOf(OverCapacityException.class);
        CancellationToken late = CancellationToken.withTimeout(Duration.ofMillis(1));
        assertThatThrownBy(() -> scheduler.run(() -> {
            while (!late.isCancelled()) Thread.sleep(2);
            return "cancelled";
        }, late)).isInstanceOf(DeadlineExceededException.class);
        CancellationToken shutdown = CancellationToken.withTimeout(LONG);
        CompletableFuture<String> running = async(() -> scheduler.run(() -> {
            while (!shutdown.isCancelled()) Thread.sleep(2);
            return "stopped";
        }, shutdown));
        CancellationToken waiting = CancellationToken.withTimeout(LONG);
        CompletableFuture<String> queued = async(() -> scheduler.run(() -> {
            while (!waiting.isCancelled()) Thread.sleep(2);
            throw new java.util.concurrent.CancellationException("cancelled while waiting for a place in the batch");
        }, waiting));
        waitFor(() -> scheduler.inModel() == 2);
        scheduler.close();
        assertThatThrownBy(() -> scheduler.run(() -> 1, CancellationToken.withTimeout(LONG)))
                .isInstanceOf(NotServingException.class);
        scheduler.cancelAll();
        assertThat(running.get(60, TimeUnit.SECONDS)).isEqualTo("stopped");
        assertThat(shutdown.reason()).isEqualTo(CancellationToken.Reason.SHUTDOWN);
        // one the engine failed while it waited for the batch is answered as still queued at shutdown: 503
        assertThatThrownBy(() -> queued.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(NotServingException.class);
    }

    private static <T> CompletableFuture<T> async(Callable<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out").isLessThan(end);
            Thread.sleep(5);
        }
    }
}
