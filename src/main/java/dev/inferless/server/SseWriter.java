package dev.inferless.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Server-Sent Events on one response: {@code data: <json>} per event, {@code data: [DONE]} at the
 * end, or an {@code error} event when the stream fails after it started. The model's worker
 * writes events while the request thread may end the stream (deadline), hence one lock; once
 * ended, a write fails, which the runtime reads as "client gone" and turns into cancellation.
 */
final class SseWriter {

    private final Context ctx;
    private OutputStream out;
    private boolean ended;
    private boolean done;

    SseWriter(Context ctx) {
        this.ctx = ctx;
    }

    /** Writes one event and flushes it; headers go out with the first. */
    synchronized void data(Object json) {
        write("data: " + Json.write(json) + "\n\n");
    }

    /** The stream's regular end; a second call does nothing. */
    synchronized void done() {
        if (!done) {
            write("data: [DONE]\n\n");
            done = true;
            close();
        }
    }

    /** The stream's end without the {@code [DONE]} sentinel (the generate extension has none); a second call does nothing. */
    synchronized void end() {
        if (!done) {
            if (out == null) {
                write(""); // no event was sent: the headers still go out, as a 200 with an empty stream
            }
            done = true;
            close();
        }
    }

    /**
     * The stream failed: true when it had started, so the error was written as an event and the
     * stream is over; false when nothing was sent yet and the caller answers with an HTTP status.
     * {@code named}: as an {@code event: error} (the runtime's own protocols), or as a plain data
     * event (OpenAI's, whose clients look for an "error" key in the data).
     */
    synchronized boolean fail(Map<String, Object> error, boolean named) {
        boolean started = out != null;
        if (started && !ended && !done) {
            try {
                write((named ? "event: error\n" : "") + "data: " + Json.write(error) + "\n\n");
            } catch (UncheckedIOException ignored) {
                // the client is gone: nobody left to tell
            }
            close();
        }
        ended = true;
        return started;
    }

    /**
     * Completes the response now (the last chunk goes out with it) rather than when the request
     * thread leaves the handler, so that a server stopping right after sees every stream whole.
     */
    private void close() {
        try {
            out.close();
        } catch (IOException e) {
            // the client is gone
        }
    }

    synchronized boolean isDone() {
        return done;
    }

    private void write(String event) {
        if (ended || done) {
            throw new IllegalStateException("the stream has ended");
        }
        try {
            if (out == null) {
                ctx.status(200);
                ctx.res().setContentType("text/event-stream;charset=utf-8");
                ctx.res().setHeader("Cache-Control", "no-cache");
                ctx.res().setHeader("X-Accel-Buffering", "no");
                out = ctx.res().getOutputStream();
            }
            out.write(event.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            ended = true;
            throw new UncheckedIOException("client gone: " + e.getMessage(), e);
        }
    }
}
