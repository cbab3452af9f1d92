package dev.inferless.api;

/**
 * Thrown by a model when a request's inputs are valid by the schema but wrong for the model (a
 * prompt longer than the context window, an out-of-range parameter). The runtime answers 400 with
 * the message, which should name the input; any other exception from {@code infer} is a 500.
 */
public class BadInputException extends IllegalArgumentException {

    public BadInputException(String message) {
        super(message);
    }
}
