package dev.inferless.server;

/** An HTTP error decided by the protocol layer itself (bad request body, unknown model, auth, size). */
final class ApiError extends RuntimeException {

    final int status;

    ApiError(int status, String message) {
        super(message);
        this.status = status;
    }
}
