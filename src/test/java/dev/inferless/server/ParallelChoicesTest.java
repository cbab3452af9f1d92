package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.OverCapacityException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A request's choices run at once, answer in index order, fail together, and within the thread bound. */
class ParallelChoicesTest {

    private static CancellationToken request() {
        return CancellationToken.withTimeout(Duration.ofMinutes(1));
    }

    @Test
    void choicesRunAtOnceAndAnswerInIndexOrder() throws Exception {
        CountDownLatch all = new CountDownLatch(4);
        List<String> answers = new ParallelChoices(8).run(4, request(), (i, token) -> {
            all.countDown();
            // every choice waits for all four: they can only finish if they run at the same time
            assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
            return "choice " + i;
        });
        assertThat(answers).containsExactly("choice 0", "choice 1", "choice 2", "choice 3");
    }

    @Test
    void theFirstFailureCancelsTheOthersAndIsTheRequests() {
        AtomicInteger cancelled = new AtomicInteger();
        assertThatThrownBy(() -> new ParallelChoices(8).run(3, request(), (i, token) -> {
            if (i == 1) throw new IllegalStateException("choice 1 failed");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!token.isCancelled() && System.nanoTime() < deadline) Thread.sleep(1);
            if (token.isCancelled()) cancelled.incrementAndGet();
            throw new IllegalStateException("cancelled choice " + i); // not the request's failure
        })).hasMessage("choice 1 failed");
        assertThat(cancelled).hasValue(2);
    }

    @Test
    void anErrorInAChoiceIsTheRequestsToo() {
        AtomicInteger cancelled = new AtomicInteger();
        assertThatThrownBy(() -> new ParallelChoices(8).run(2, request(), (i, token) -> {
            if (i == 1) throw new AssertionError("choice 1 broke");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!token.isCancelled() && System.nanoTime() < deadline) Thread.sleep(1);
            if (token.isCancelled()) cancelled.incrementAndGet();
            return "late";
        })).isInstanceOf(AssertionError.class).hasMessage("choice 1 broke");
        assertThat(cancelled).hasValue(1);
    }

    @Test
    void choicesPastTheThreadBoundAreRefusedAsOverCapacityBeforeAnyRuns() throws Exception {
        ParallelChoices bounded = new ParallelChoices(2);
        AtomicInteger ran = new AtomicInteger();
        assertThatThrownBy(() -> bounded.run(4, request(), (i, token) -> ran.incrementAndGet()))
                .isInstanceOf(OverCapacityException.class).hasMessageContaining("over capacity");
        assertThat(ran).hasValue(0);
        // the threads come back: two requests of three choices, one after the other, both run
        assertThat(bounded.run(3, request(), (i, token) -> i)).containsExactly(0, 1, 2);
        assertThat(bounded.run(3, request(), (i, token) -> i)).containsExactly(0, 1, 2);
    }

    @Test
    void theRequestsCancellationReachesEveryChoice() throws Exception {
        CancellationToken request = request();
        request.cancel(CancellationToken.Reason.CLIENT_GONE);
        List<Boolean> seen = new ParallelChoices(4).run(3, request, (i, token) -> token.isCancelled());
        assertThat(seen).containsExactly(true, true, true);
    }
}
