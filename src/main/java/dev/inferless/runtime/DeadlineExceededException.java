package dev.inferless.runtime;

/** The request did not finish (queue wait included) before its deadline. */
public final class DeadlineExceededException extends Exception {

    public DeadlineExceededException(String message) {
        super(message);
    }
}
