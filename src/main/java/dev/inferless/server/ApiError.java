package dev.inferless.server;

/**
 * An HTTP error decided by the protocol layer itself (bad request body, unknown model, auth, size).
 * {@code param} (the request field at fault) and {@code code} (a machine-readable reason) may be
 * null; OpenAI's error object carries them.
 */
final class ApiError extends RuntimeException {

    final int status;
    final String param;
    final String code;

    ApiError(int status, String message) {
        this(status, message, null, null);
    }

    ApiError(int status, String message, String param, String code) {
        super(message);
        this.status = status;
        this.param = param;
        this.code = code;
    }
}
