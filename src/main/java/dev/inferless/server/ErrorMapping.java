package dev.inferless.server;

import dev.inferless.schema.InvalidInputException;
import dev.inferless.serving.DeadlineExceededException;
import dev.inferless.serving.ModelFailureException;
import dev.inferless.serving.NotServingException;
import dev.inferless.api.OverCapacityException;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become HTTP statuses: {"error": "..."}, or on the OpenAI routes
 * ({@code /v1/...}) OpenAI's error object {"error": {"message", "type", "param", "code"}}.
 */
final class ErrorMapping {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);

    private ErrorMapping() {}

    private static final String WRITTEN = "inferless.error-written";

    /** Javalin's 404 for a path no route matches (it raises no exception for it). */
    static void unmatchedRoute(Context ctx) {
        if (ctx.attribute(WRITTEN) == null) {
            write(ctx, new Failure(404, "not found: " + ctx.method() + " " + ctx.path(), null, null, null));
        }
    }

    /**
     * What a failure means for the client: a status, a message, for 429 when to retry, and where
     * known the request field at fault ({@code param}) and a machine-readable {@code code}.
     */
    record Failure(int status, String message, Integer retryAfterSeconds, String param, String code) {}

    /** A field named at the start of a message ("max_tokens must ...") or quoted as an input ("input 'stop': ..."). */
    private static final Pattern FIELD = Pattern.compile("^(?:input '([a-z_]+)'|missing required input '([a-z_]+)'|([a-z_]+)(?= must| is |:))");

    static void handle(Exception e, Context ctx) {
        Failure f = describe(e, ctx.method() + " " + ctx.path());
        if (f.status() == 401) {
            ctx.header("WWW-Authenticate", "Bearer");
        }
        if (f.retryAfterSeconds() != null) {
            ctx.header("Retry-After", Integer.toString(f.retryAfterSeconds()));
        }
        write(ctx, f);
    }

    /** The mapping itself, also used for a stream that fails after its first event (no status line left to set). */
    static Failure describe(Exception e, String where) {
        int status;
        Integer retryAfter = null;
        String message = e.getMessage();
        String param = null;
        String code = null;
        if (e instanceof ApiError api) {
            status = api.status;
            param = api.param;
            code = api.code;
        } else if (e instanceof InvalidInputException invalid) {
            status = 400;
            code = invalid.code();
            param = fieldNamed(message);
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
        return new Failure(status, String.valueOf(message), retryAfter, param, code);
    }

    private static String fieldNamed(String message) {
        Matcher m = FIELD.matcher(message == null ? "" : message);
        if (!m.find()) return null;
        return m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
    }

    /** The error body for {@code path}: OpenAI's object on its routes, {"error": "..."} elsewhere. */
    static Map<String, Object> body(String path, Failure f) {
        if (!path.startsWith("/v1/")) {
            return Map.of("error", f.message());
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", f.message());
        error.put("type", openAiType(f.status()));
        error.put("param", f.param());
        error.put("code", f.code());
        return Map.of("error", error);
    }

    /** OpenAI's error types by status. */
    private static String openAiType(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }

    private static void write(Context ctx, Failure f) {
        ctx.attribute(WRITTEN, true);
        ctx.status(f.status()).contentType("application/json").result(Json.write(body(ctx.path(), f)));
    }
}
