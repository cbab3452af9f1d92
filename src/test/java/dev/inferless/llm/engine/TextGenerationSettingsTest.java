package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class TextGenerationSettingsTest {

    private static final Path REPO = Path.of("models/codellama-34b-python");

    @Test
    @SuppressWarnings("unchecked")
    void theModelRepoConfigurationReadsWithTheReferenceDefaults() throws Exception {
        Map<String, Object> config;
        try (Reader r = Files.newBufferedReader(REPO.resolve("config.yaml"))) {
            config = new Yaml().load(r);
        }
        TextGenerationSettings s = TextGenerationSettings.from((Map<String, Object>) config.get("model"));
        assertThat(s).isEqualTo(new TextGenerationSettings("", true, "gptq", "auto", 0, 512, 1.0, 1.0));
        assertThat(s.tinyCheckpointDir(Path.of("/c"))).isEqualTo(Path.of("/c/inferless/tiny-gptq"));
        Map<String, Object> build = (Map<String, Object>) config.get("build");
        assertThat(build).containsEntry("cuda_version", "13.0.1").containsKeys("system_packages", "run", "maven_packages");
    }

    @Test
    void theSchemasDeclareTheInputsAndOutputsTheModelMaps() throws Exception {
        JsonNode in = new ObjectMapper().readTree(REPO.resolve("input_schema.json").toFile());
        assertThat(in.fieldNames()).toIterable().containsExactly(
                "prompt", "messages", "prompt_token_ids", "max_tokens", "temperature", "top_p", "top_k", "repetition_penalty",
                "presence_penalty", "frequency_penalty", "logit_bias", "seed", "stop", "ignore_eos", "logprobs");
        assertThat(in.path("prompt").path("required").asBoolean()).isFalse(); // prompt or messages
        assertThat(in.path("ignore_eos").path("datatype").asText()).isEqualTo("BOOL");
        assertThat(in.path("stop").path("shape").get(0).asInt()).isEqualTo(-1);
        JsonNode out = new ObjectMapper().readTree(REPO.resolve("output_schema.json").toFile());
        assertThat(out.fieldNames()).toIterable().containsExactly("generated_result", "prompt_tokens", "output_tokens", "finish_reason",
                "logprobs");
        assertThat(Files.readString(REPO.resolve("app/META-INF/services/dev.inferless.api.InferlessModel")).trim())
                .isEqualTo("dev.inferless.models.codellama.CodeLlamaPythonModel");
    }

    @Test
    void badValuesNameTheKey() {
        assertThatThrownBy(() -> TextGenerationSettings.from(Map.of("checkpoint_format", "int3"))).hasMessageContaining("model.checkpoint_format");
        assertThatThrownBy(() -> TextGenerationSettings.from(Map.of("device", "tpu"))).hasMessageContaining("model.device");
        assertThatThrownBy(() -> TextGenerationSettings.from(Map.of("max_context", -1))).hasMessageContaining("model.max_context");
        assertThatThrownBy(() -> TextGenerationSettings.from(Map.of("weights", 3))).hasMessageContaining("model.weights");
        assertThatThrownBy(() -> TextGenerationSettings.from(Map.of("random_weights", "maybe"))).hasMessageContaining("model.random_weights");
        assertThat(TextGenerationSettings.from(Map.of("random_weights", "false")).randomWeights()).isFalse();
        assertThatThrownBy(() -> TextGenerationSettings.from(Map.of("generation", Map.of("max_tokens", "many"))))
                .hasMessageContaining("model.generation.max_tokens");
        assertThatThrownBy(() -> TextGenerationSettings.from(Map.of("generation", Map.of("top_p", "x"))))
                .hasMessageContaining("model.generation.top_p");
        // overrides from --set arrive as strings
        assertThat(TextGenerationSettings.from(Map.of("max_context", "2048")).maxContext()).isEqualTo(2048);
    }
}
