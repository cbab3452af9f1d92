package dev.inferless.repo;

/** The model repo could not be loaded, compiled, initialized or warmed up; the message says why. */
public final class ModelLoadException extends Exception {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
