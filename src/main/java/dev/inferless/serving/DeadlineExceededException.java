package dev.inferless.serving;

/** The request did not finish (queue wait included) before its deadline. */
public final class DeadlineExceededException extends Exception {

    public DeadlineExceededException(String message) {
        super(message);
    }
}
