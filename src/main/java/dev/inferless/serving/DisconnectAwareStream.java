package dev.inferless.serving;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.StreamOutputHandler;
import java.util.Map;

/**
 * Stands between a streaming model and the protocol's writer: the first chunk that cannot be
 * written (the client went away) cancels the request's token, so a cooperative model stops at its
 * next step; later chunks are dropped instead of failing the model. Chunks past the request's
 * deadline are dropped too: the request thread answers with the deadline's error, and a model that
 * stops on the cancellation must not complete the stream first.
 */
final class DisconnectAwareStream implements StreamOutputHandler {

    private final StreamOutputHandler client;
    private final CancellationToken token;
    private volatile boolean gone;

    DisconnectAwareStream(StreamOutputHandler client, CancellationToken token) {
        this.client = client;
        this.token = token;
    }

    @Override
    public void send(Map<String, Object> chunk) {
        if (gone || token.pastDeadline()) {
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
        if (gone || token.pastDeadline()) {
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
        token.cancel(CancellationToken.Reason.CLIENT_GONE);
    }
}
