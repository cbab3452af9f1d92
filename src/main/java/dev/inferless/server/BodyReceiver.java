package dev.inferless.server;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Receives a request's whole body before its route runs, asynchronously: a client trickling its
 * body in holds a connection but no thread, so a flood of slow senders cannot starve the health
 * routes. The body must arrive within {@code timeout} (408) and fit {@code maxBytes} (413);
 * malformed framing is a 400. Routes then read the body from memory.
 */
final class BodyReceiver extends Handler.Wrapper {

    private final long maxBytes;
    private final Duration timeout;

    BodyReceiver(long maxBytes, Duration timeout) {
        this.maxBytes = maxBytes;
        this.timeout = timeout;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        long length = request.getLength();
        boolean chunked = request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        if ((length <= 0 && !chunked) || length > maxBytes) {
            // No body, or one the route refuses by its announced size (after the auth check) without reading it.
            return super.handle(request, response, callback);
        }
        Scheduler.Task deadline = request.getComponents().getScheduler().schedule(
                () -> request.fail(new TimeoutException("the request body did not arrive within " + timeout.toMillis() / 1000.0
                        + " s (server.body_timeout_s)")), timeout.toMillis(), TimeUnit.MILLISECONDS);
        Content.Source.asByteArrayAsync(request, (int) Math.min(maxBytes, Integer.MAX_VALUE - 16)).whenComplete((body, failure) -> {
            deadline.cancel();
            if (failure != null) {
                refuse(request, response, callback, failure instanceof CompletionException ? failure.getCause() : failure);
                return;
            }
            try {
                if (!super.handle(new Received(request, body), response, callback)) {
                    Response.writeError(request, response, callback, 404);
                }
            } catch (Throwable e) {
                Response.writeError(request, response, callback, e);
            }
        });
        return true;
    }

    private void refuse(Request request, Response response, Callback callback, Throwable failure) {
        int status;
        String message;
        if (failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException) {
            status = 408;
            message = failure instanceof TimeoutException ? failure.getMessage()
                    : "the request body stopped arriving (server.idle_timeout_s or server.min_request_data_rate)";
        } else if (failure instanceof IllegalStateException || failure instanceof IllegalArgumentException) {
            // What Jetty's reader raises past the size it was given.
            status = 413;
            message = "request body too large: over the limit of " + maxBytes + " bytes (server.max_body_bytes)";
        } else if (failure instanceof HttpException) {
            status = ((HttpException) failure).getCode();
            message = "malformed request body: " + failure.getMessage();
        } else {
            status = 400;
            message = "the request body could not be read: " + failure.getMessage();
        }
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        Response.writeError(request, response, callback, status, message);
    }

    /** The request with its body already in memory. */
    private static final class Received extends Request.Wrapper {

        private Content.Chunk next;

        Received(Request request, byte[] body) {
            super(request);
            this.next = Content.Chunk.from(ByteBuffer.wrap(body), true);
        }

        @Override
        public Content.Chunk read() {
            Content.Chunk chunk = next;
            next = Content.Chunk.EOF;
            return chunk;
        }

        @Override
        public void demand(Runnable demandCallback) {
            demandCallback.run();
        }
    }
}
