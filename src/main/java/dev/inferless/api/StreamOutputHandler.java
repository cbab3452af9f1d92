package dev.inferless.api;

import java.util.Map;

/**
 * Receives a streaming model's chunks; the runtime turns them into Server-Sent Events. Inferless's
 * names for the same two calls, {@code send_streamed_output} and {@code finalise_streamed_output},
 * are here too, so a handler ported from an Inferless Python model reads the same.
 */
public interface StreamOutputHandler {

    void send(Map<String, Object> chunk);

    void finish();

    /** Inferless's name for {@link #send}. */
    default void send_streamed_output(Map<String, Object> chunk) {
        send(chunk);
    }

    /** Inferless's name for {@link #finish}. */
    default void finalise_streamed_output() {
        finish();
    }
}
