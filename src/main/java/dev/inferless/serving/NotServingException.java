package dev.inferless.serving;

/** The model is not ready yet, or the runtime is shutting down. */
public final class NotServingException extends Exception {

    public NotServingException(String message) {
        super(message);
    }
}
