package dev.inferless.api;

/**
 * Thrown by a model when a request's inputs are valid by the schema but wrong for the model (a
 * prompt longer than the context window, an out-of-range parameter). The runtime answers 400 with
 * the message, which should name the input; any other exception from {@code infer} is a 500.
 * {@code code} is a machine-readable reason protocols pass on (OpenAI's {@code error.code}), or null.
 */
public class BadInputException extends IllegalArgumentException {

    /** The prompt plus the requested output does not fit the model's context window. */
    public static final String CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded";

    private final String code;

    public BadInputException(String message) {
        this(message, null);
    }

    public BadInputException(String message, String code) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
