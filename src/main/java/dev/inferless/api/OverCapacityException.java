package dev.inferless.api;

/**
 * The model's limit and queue are full (the runtime's slots, or an LLM engine's batch and waiting
 * queue): the runtime answers 429 with {@code Retry-After}, and the client should retry then.
 */
public final class OverCapacityException extends RuntimeException {

    private final int retryAfterSeconds;

    public OverCapacityException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
