package dev.inferless.config;

/** The runtime configuration is wrong; the message names the key. */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }
}
