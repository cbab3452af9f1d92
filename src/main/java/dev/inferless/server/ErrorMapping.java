package dev.inferless.server;

import dev.inferless.schema.InvalidInputException;
import dev.inferless.serving.DeadlineExceededException;
import dev.inferless.serving.ModelFailureException;
import dev.inferless.serving.NotServingException;
import dev.inferless.serving.OverCapacityException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where failures become HTTP statuses, always as {"error": "..."}. */
final class ErrorMapping {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);

    private ErrorMapping() {}

    private static final String WRITTEN = "inferless.error-written";

    /** Javalin's 404 for a path no route matches (it raises no exception for it). */
    static void unmatchedRoute(Context ctx) {
        if (ctx.attribute(WRITTEN) == null) {
            write(ctx, 404, "not found: " + ctx.method() + " " + ctx.path());
        }
    }

    /** What a failure means for the client: a status, a message, and for 429 when to retry. */
    record Failure(int status, String message, Integer retryAfterSeconds) {}

    static void handle(Exception e, Context ctx) {
        Failure f = describe(e, ctx.method() + " " + ctx.path());
        if (f.status() == 401) {
            ctx.header("WWW-Authenticate", "Bearer");
        }
        if (f.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Integer.toString(f.retryAfterSeconds()));
        }
        write(ctx, f.status(), f.message());
    }

    /** The mapping itself, also used for a stream that fails after its first event (no status line left to set). */
    static Failure describe(Exception e, String where) {
        int status;
        Integer retryAfter = null;
        String message = e.getMessage();
        if (e instanceof ApiError) {
            status = ((ApiError) e).status;
        } else if (e instanceof InvalidInputException) {
            status = 400;
        } else if (e instanceof NotServingException) {
            status = 503;
        } else if (e instanceof OverCapacityException) {
            status = 429;
            retryAfter = ((OverCapacityException) e).retryAfterSeconds();
        } else if (e instanceof DeadlineExceededException) {
            status = 504;
        } else if (e instanceof ModelFailureException) {
            status = 500;
            LOG.warn("model failed on {}: {}", where, message, e.getCause());
        } else if (e instanceof HttpResponseException) {
            // Javalin's own: 404 for unknown paths, 405, 413 when the body is over server.max_body_bytes.
            status = ((HttpResponseException) e).getStatus();
            message = status == 413 ? "request body too large" : status == 404 ? "not found: " + where : message;
        } else if (e instanceof InterruptedException) {
            status = 503;
            message = "interrupted: shutting down";
            Thread.currentThread().interrupt();
        } else {
            status = 500;
            LOG.error("unexpected error on {}", where, e);
            message = "internal error: " + e;
        }
        return new Failure(status, String.valueOf(message), retryAfter);
    }

    private static void write(Context ctx, int status, String message) {
        ctx.attribute(WRITTEN, true);
        ctx.status(status).contentType("application/json").result(body(ctx.path(), status, message));
    }

    /** The body of every error response, Jetty's own included ({@link JsonErrorHandler}). */
    static String body(String path, int status, String message) {
        return Json.write(Map.of("error", message));
    }
}
