package dev.inferless.bench;

/** The server under {@code bench --url} could not be reached or refused a request; the message names the URL and says why. */
public final class ServerException extends RuntimeException {

    public ServerException(String message) {
        super(message);
    }
}
