package dev.inferless.runtime;

import dev.inferless.api.StreamOutputHandler;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Stands between a streaming model and the protocol's writer: the first chunk that cannot be
 * written (the client went away) flips the request's cancellation flag, so a cooperative model
 * stops at its next step; later chunks are dropped instead of failing the model.
 */
final class DisconnectAwareStream implements StreamOutputHandler {

    private final StreamOutputHandler client;
    private final AtomicBoolean cancelled;
    private volatile boolean gone;

    DisconnectAwareStream(StreamOutputHandler client, AtomicBoolean cancelled) {
        this.client = client;
        this.cancelled = cancelled;
    }

    @Override
    public void send(Map<String, Object> chunk) {
        if (gone) {
            return;
        }
        try {
            client.send(chunk);
        } catch (RuntimeException e) {
            disconnected();
        }
    }

    @Override
    public void finish() {
        if (gone) {
            return;
        }
        try {
            client.finish();
        } catch (RuntimeException e) {
            disconnected();
        }
    }

    boolean clientGone() {
        return gone;
    }

    private void disconnected() {
        gone = true;
        if (cancelled != null) {
            cancelled.set(true);
        }
    }
}
