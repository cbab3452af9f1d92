package dev.inferless.config;

/** The {@code logging:} section of runtime-config.yaml. */
public record LoggingConfig(String level, boolean requestLog) {

    static LoggingConfig from(ConfigValues v) {
        return new LoggingConfig(v.oneOf("logging.level", "error", "warn", "info", "debug"), v.bool("logging.request_log"));
    }
}
