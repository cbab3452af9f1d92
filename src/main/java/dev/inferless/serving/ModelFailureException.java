package dev.inferless.serving;

/** The model threw, or returned something that is not a valid output; the message is the model's. */
public final class ModelFailureException extends Exception {

    public ModelFailureException(String message, Throwable cause) {
        super(message, cause);
    }
}
