package dev.inferless.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own errors (malformed request line or framing, a URI or headers too large, a bad
 * Expect, a body cut off) in the body {@link ErrorMapping} gives every other error, instead of
 * Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        String body = body(Request.getPathInContext(request), code, describe(code, message));
        response.write(true, StandardCharsets.UTF_8.encode(body), callback);
    }

    /** For a request so malformed that Jetty answers before it has a request at all. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return StandardCharsets.UTF_8.encode(body("", status, describe(status, reason)));
    }

    private static String body(String path, int status, String message) {
        return Json.write(ErrorMapping.body(path, new ErrorMapping.Failure(status, message, null, null, null)));
    }

    private static String describe(int code, String message) {
        String reason = HttpStatus.getMessage(code);
        if (message == null || message.isBlank() || message.equals(reason)) {
            return reason.toLowerCase();
        }
        return reason.toLowerCase() + ": " + message;
    }
}
