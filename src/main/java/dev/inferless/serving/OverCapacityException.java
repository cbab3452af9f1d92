package dev.inferless.serving;

/** Every slot is busy and the queue is full; the client should retry after a while. */
public final class OverCapacityException extends Exception {

    private final int retryAfterSeconds;

    public OverCapacityException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
