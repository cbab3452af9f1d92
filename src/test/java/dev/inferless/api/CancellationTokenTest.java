package dev.inferless.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A request's token and its parts (one per choice of a request with several). */
class CancellationTokenTest {

    @Test
    void aPartIsCancelledWithItsRequestForTheRequestsReason() {
        CancellationToken request = CancellationToken.withTimeout(Duration.ofMinutes(1));
        CancellationToken part = request.part();
        assertThat(part.isCancelled()).isFalse();
        assertThat(part.timeout()).isEqualTo(request.timeout());
        request.cancel(CancellationToken.Reason.SHUTDOWN);
        assertThat(part.reason()).isEqualTo(CancellationToken.Reason.SHUTDOWN);
    }

    @Test
    void aPartCancelledAloneLeavesTheRequestAndItsOtherParts() {
        CancellationToken request = CancellationToken.withTimeout(Duration.ofMinutes(1));
        CancellationToken one = request.part();
        CancellationToken other = request.part();
        one.cancel(CancellationToken.Reason.CLIENT_GONE);
        assertThat(one.reason()).isEqualTo(CancellationToken.Reason.CLIENT_GONE);
        assertThat(request.isCancelled()).isFalse();
        assertThat(other.isCancelled()).isFalse();
    }

    @Test
    void aPartHasItsRequestsDeadline() throws InterruptedException {
        CancellationToken request = CancellationToken.withTimeout(Duration.ofMillis(1));
        CancellationToken part = request.part();
        while (!request.pastDeadline()) Thread.sleep(1);
        assertThat(part.pastDeadline()).isTrue();
        assertThat(part.reason()).isEqualTo(CancellationToken.Reason.DEADLINE);
    }
}
