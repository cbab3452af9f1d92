package dev.inferless.schema;

/**
 * A request's input does not fit the model's input schema or the model; the message names the
 * field. {@code code}: a machine-readable reason (see {@link dev.inferless.api.BadInputException#code}), or null.
 */
public final class InvalidInputException extends Exception {

    private final String code;

    public InvalidInputException(String message) {
        this(message, null);
    }

    public InvalidInputException(String message, String code) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
