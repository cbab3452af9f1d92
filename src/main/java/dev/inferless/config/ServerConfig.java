package dev.inferless.config;

import java.time.Duration;

/** The {@code server:} section of runtime-config.yaml. */
public record ServerConfig(String host, int port, long maxBodyBytes, int containerConcurrency, int queueSize,
                           Duration inferenceTimeout, Duration shutdownGrace, String authTokenEnv,
                           String corsAllowOrigin) {

    static ServerConfig from(ConfigValues v) {
        return new ServerConfig(
                v.text("server.host"),
                (int) v.integer("server.port", 0, 65535),
                v.integer("server.max_body_bytes", 1, Integer.MAX_VALUE),
                (int) v.integer("server.container_concurrency", 1, 10_000),
                (int) v.integer("server.queue_size", 0, 1_000_000),
                seconds(v.positiveSeconds("server.inference_timeout_s")),
                seconds(v.positiveSeconds("server.shutdown_grace_s")),
                v.text("server.auth_token_env"),
                v.text("server.cors_allow_origin"));
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos(Math.round(s * 1e9));
    }
}
