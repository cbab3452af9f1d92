package dev.inferless.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The whole runtime configuration after the file, environment and command-line overrides.
 * {@code modelOverrides} holds every {@code model.<key>} that is not the runtime's own
 * (model.repo, model.warmup): it is merged over the model repo's config.yaml {@code model:} section.
 */
public record RuntimeConfig(ServerConfig server, ModelSettings model, LoggingConfig logging,
                            Map<String, Object> modelOverrides) {

    /** Every key the runtime knows, with its default (the same values as runtime-config.yaml). */
    public static final Map<String, String> DEFAULTS = defaults();

    public RuntimeConfig {
        modelOverrides = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(modelOverrides));
    }

    static RuntimeConfig from(Map<String, String> flat, Map<String, Object> modelOverrides) {
        ConfigValues v = new ConfigValues(flat);
        return new RuntimeConfig(ServerConfig.from(v), ModelSettings.from(v), LoggingConfig.from(v), modelOverrides);
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("server.host", "0.0.0.0");
        d.put("server.port", "8080");
        d.put("server.max_body_bytes", "10485760");
        d.put("server.container_concurrency", "16");
        d.put("server.queue_size", "64");
        d.put("server.inference_timeout_s", "180");
        d.put("server.shutdown_grace_s", "30");
        d.put("server.auth_token_env", "");
        d.put("server.cors_allow_origin", "");
        d.put("model.repo", "models/codellama-34b-python");
        d.put("model.name", "");
        d.put("model.warmup", "true");
        d.put("logging.level", "info");
        d.put("logging.request_log", "true");
        return java.util.Collections.unmodifiableMap(d);
    }
}
