package dev.inferless.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.StreamOutputHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What reaches the client of a streaming model: everything until it leaves or the deadline passes. */
class DisconnectAwareStreamTest {

    /** Records what it is given; fails every write once {@code gone}. */
    static final class Client implements StreamOutputHandler {
        final List<Object> received = new ArrayList<>();
        boolean gone;

        @Override
        public void send(Map<String, Object> chunk) {
            if (gone) throw new IllegalStateException("the stream has ended");
            received.add(chunk);
        }

        @Override
        public void finish() {
            if (gone) throw new IllegalStateException("the stream has ended");
            received.add("finish");
        }
    }

    @Test
    void beforeItsDeadlineEveryChunkAndTheEndReachTheClient() {
        Client client = new Client();
        CancellationToken cancelled = CancellationToken.withTimeout(Duration.ofSeconds(60));
        DisconnectAwareStream s = new DisconnectAwareStream(client, cancelled);
        s.send(Map.of("generated_result", "a"));
        s.finish();
        assertThat(client.received).containsExactly(Map.of("generated_result", "a"), "finish");
        assertThat(cancelled.isCancelled()).isFalse();
    }

    @Test
    void pastItsDeadlineNothingMoreReachesTheClientSoTheRequestThreadAnswersWithTheDeadline() {
        Client client = new Client();
        CancellationToken cancelled = CancellationToken.withTimeout(Duration.ZERO);
        DisconnectAwareStream s = new DisconnectAwareStream(client, cancelled);
        s.send(Map.of("generated_result", "late"));
        s.finish();
        assertThat(client.received).isEmpty();
    }

    @Test
    void aClientThatLeftCancelsTheRequestAndLaterChunksAreDropped() {
        Client client = new Client();
        CancellationToken cancelled = CancellationToken.untimed();
        DisconnectAwareStream s = new DisconnectAwareStream(client, cancelled);
        s.send(Map.of("generated_result", "a"));
        client.gone = true;
        s.send(Map.of("generated_result", "b"));
        assertThat(cancelled.reason()).isEqualTo(CancellationToken.Reason.CLIENT_GONE);
        assertThat(s.clientGone()).isTrue();
        s.finish(); // dropped, not thrown
        assertThat(client.received).containsExactly(Map.of("generated_result", "a"));
    }
}
