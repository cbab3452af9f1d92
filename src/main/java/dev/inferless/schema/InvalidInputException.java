package dev.inferless.schema;

/** A request's input does not fit the model's input schema; the message names the field. */
public final class InvalidInputException extends Exception {

    public InvalidInputException(String message) {
        super(message);
    }
}
