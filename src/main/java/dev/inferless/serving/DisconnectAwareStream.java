package dev.inferless.serving;

import dev.inferless.api.StreamOutputHandler;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Stands between a streaming model and the protocol's writer: the first chunk that cannot be
 * written (the client went away) flips the request's cancellation flag, so a cooperative model
 * stops at its next step; later chunks are dropped instead of failing the model. Chunks past the
 * request's deadline are dropped too: the request thread answers with the deadline's error, and
 * a model that stops on the cancellation must not complete the stream first.
 */
final class DisconnectAwareStream implements StreamOutputHandler {

    private final StreamOutputHandler client;
    private final AtomicBoolean cancelled;
    private final long deadlineNanos;
    private volatile boolean gone;

    /** {@code deadlineNanos} on {@link System#nanoTime}'s clock (Long.MAX_VALUE: none). */
    DisconnectAwareStream(StreamOutputHandler client, AtomicBoolean cancelled, long deadlineNanos) {
        this.client = client;
        this.cancelled = cancelled;
        this.deadlineNanos = deadlineNanos;
    }

    @Override
    public void send(Map<String, Object> chunk) {
        if (gone || expired()) {
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
        if (gone || expired()) {
            return;
        }
        try {
            client.finish();
        } catch (RuntimeException e) {
            disconnected();
        }
    }

    private boolean expired() {
        return deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos >= 0;
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
