package dev.inferless.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path tmp;

    @Test
    void theShippedFileHasExactlyTheKnownKeysWithTheDefaultValues() {
        RuntimeConfig fromFile = ConfigLoader.load(Path.of("runtime-config.yaml"), Map.of(), List.of());
        RuntimeConfig defaults = ConfigLoader.load(null, Map.of(), List.of());
        assertThat(fromFile).isEqualTo(defaults);
        assertThat(defaults.server().inferenceTimeout()).isEqualTo(Duration.ofSeconds(180));
        assertThat(defaults.model().repo()).isEqualTo(Path.of("models/codellama-34b-python"));
        assertThat(yamlKeys(Path.of("runtime-config.yaml"))).isEqualTo(new TreeSet<>(RuntimeConfig.DEFAULTS.keySet()));
    }

    @Test
    void docsListExactlyTheConfigurationKeys() throws Exception {
        String doc = Files.readString(Path.of("docs/configuration.md"));
        Matcher m = Pattern.compile("^\\| `([a-z_]+\\.[a-z_]+)` \\|", Pattern.MULTILINE).matcher(doc);
        Set<String> documented = new TreeSet<>();
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertThat(documented).isEqualTo(new TreeSet<>(RuntimeConfig.DEFAULTS.keySet()));
    }

    @Test
    void setWinsOverEnvironmentWhichWinsOverTheFile() throws Exception {
        Path file = write("server:\n  port: 9000\n  queue_size: 5\n");
        RuntimeConfig c = ConfigLoader.load(file, Map.of("INFERLESS_SERVER_PORT", "9100", "INFERLESS_SERVER_QUEUE_SIZE", "7"),
                List.of("server.port=9200"));
        assertThat(c.server().port()).isEqualTo(9200);
        assertThat(c.server().queueSize()).isEqualTo(7);
        assertThat(c.server().containerConcurrency()).as("the default").isEqualTo(Integer.parseInt(RuntimeConfig.DEFAULTS.get("server.container_concurrency")));
    }

    @Test
    void modelKeysOtherThanTheRuntimesOwnOverrideTheRepoConfig() throws Exception {
        Path file = write("model:\n  repo: models/x\n  dtype: fp16\n");
        RuntimeConfig c = ConfigLoader.load(file, Map.of("INFERLESS_MODEL_DEVICE", "gpu", "INFERLESS_MODEL_WARMUP", "false"),
                List.of("model.weights=/data/ckpt", "model.limits.max_tokens=512"));
        assertThat(c.model().repo()).isEqualTo(Path.of("models/x"));
        assertThat(c.model().warmup()).isFalse();
        assertThat(c.modelOverrides()).containsEntry("dtype", "fp16").containsEntry("device", "gpu")
                .containsEntry("weights", "/data/ckpt").containsEntry("limits", Map.of("max_tokens", 512));
    }

    @Test
    void fractionalSecondsAreAccepted() {
        RuntimeConfig c = ConfigLoader.load(null, Map.of(), List.of("server.inference_timeout_s=0.25"));
        assertThat(c.server().inferenceTimeout()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void unknownKeysAndBadValuesAreErrorsNamingTheKey() throws Exception {
        assertError(write("server:\n  prot: 1\n"), Map.of(), List.of(), "server.prot");
        assertError(write("database:\n  url: x\n"), Map.of(), List.of(), "'database'");
        assertError(null, Map.of(), List.of("server.port=http"), "server.port: expected an integer");
        assertError(null, Map.of(), List.of("server.port=70000"), "server.port: 70000 is out of range");
        assertError(null, Map.of(), List.of("server.container_concurrency=0"), "server.container_concurrency");
        assertError(null, Map.of(), List.of("server.inference_timeout_s=-1"), "server.inference_timeout_s");
        assertError(null, Map.of(), List.of("model.warmup=maybe"), "model.warmup: expected true or false");
        assertError(null, Map.of(), List.of("model.name=a/b"), "model.name: 'a/b' is not a valid model name");
        assertError(null, Map.of(), List.of("logging.level=loud"), "logging.level");
        assertError(null, Map.of(), List.of("logging.colour=red"), "logging.colour");
        assertError(null, Map.of(), List.of("noequals"), "--set expects key=value");
        assertError(null, Map.of("INFERLESS_SERVER_PROT", "1"), List.of(), "INFERLESS_SERVER_PROT");
        assertError(write("server: [1, 2]\n"), Map.of(), List.of(), "server");
    }

    @Test
    void unrelatedInferlessVariablesAreIgnored() {
        RuntimeConfig c = ConfigLoader.load(null, Map.of("INFERLESS_TOKEN", "secret", "PATH", "/bin"), List.of());
        assertThat(c.server().port()).isEqualTo(8080);
        assertThat(ConfigLoader.envName("server.max_body_bytes")).isEqualTo("INFERLESS_SERVER_MAX_BODY_BYTES");
    }

    private void assertError(Path file, Map<String, String> env, List<String> sets, String message) {
        assertThatThrownBy(() -> ConfigLoader.load(file, env, sets)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    private Path write(String yaml) throws Exception {
        Path file = Files.createTempFile(tmp, "config", ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @SuppressWarnings("unchecked")
    private static Set<String> yamlKeys(Path file) {
        Set<String> keys = new TreeSet<>();
        try {
            Map<String, Object> root = new org.yaml.snakeyaml.Yaml().load(Files.readString(file));
            root.forEach((section, body) -> ((Map<String, Object>) body).keySet().forEach(k -> keys.add(section + "." + k)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return keys;
    }
}
