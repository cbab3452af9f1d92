package dev.inferless.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.api.StreamOutputHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
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
        AtomicBoolean cancelled = new AtomicBoolean();
        DisconnectAwareStream s = new DisconnectAwareStream(client, cancelled, System.nanoTime() + 60_000_000_000L);
        s.send(Map.of("generated_result", "a"));
        s.finish();
        assertThat(client.received).containsExactly(Map.of("generated_result", "a"), "finish");
        assertThat(cancelled).isFalse();
    }

    @Test
    void pastItsDeadlineNothingMoreReachesTheClientSoTheRequestThreadAnswersWithTheDeadline() {
        Client client = new Client();
        AtomicBoolean cancelled = new AtomicBoolean(true); // the scheduler flips it as the deadline passes
        DisconnectAwareStream s = new DisconnectAwareStream(client, cancelled, System.nanoTime() - 1);
        s.send(Map.of("generated_result", "late"));
        s.finish();
        assertThat(client.received).isEmpty();
    }

    @Test
    void aClientThatLeftCancelsTheRequestAndLaterChunksAreDropped() {
        Client client = new Client();
        AtomicBoolean cancelled = new AtomicBoolean();
        DisconnectAwareStream s = new DisconnectAwareStream(client, cancelled, Long.MAX_VALUE);
        s.send(Map.of("generated_result", "a"));
        client.gone = true;
        s.send(Map.of("generated_result", "b"));
        assertThat(cancelled).isTrue();
        assertThat(s.clientGone()).isTrue();
        s.finish(); // dropped, not thrown
        assertThat(client.received).containsExactly(Map.of("generated_result", "a"));
    }
}
