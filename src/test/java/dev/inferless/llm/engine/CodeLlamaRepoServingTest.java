package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.app.ServingRuntime;
import dev.inferless.config.ConfigLoader;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.serving.testmodel.TestRepos;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The codellama-34b-python repo end to end: its app/ sources compiled by the runtime, a tiny GPTQ
 * checkpoint loaded by the engine on CPU, requests over HTTP.
 */
class CodeLlamaRepoServingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    private static ServingRuntime runtime;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        Path checkpoint = tmp.resolve("tiny-gptq");
        CheckpointMaker.make("tiny", "gptq", 4, 32, true, 7, checkpoint);
        Path repo = TestRepos.copy(Path.of("models/codellama-34b-python"), tmp.resolve("codellama-34b-python"));
        runtime = ServingRuntime.create(ConfigLoader.load(null, Map.of(), List.of(
                "model.repo=" + repo, "server.port=0", "server.host=127.0.0.1", "model.warmup=false",
                "model.weights=" + checkpoint, "model.device=cpu")), Map.of());
        runtime.initialize();
    }

    @AfterAll
    static void stop() {
        if (runtime != null) runtime.shutdown();
    }

    private static HttpResponse<String> post(String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtime.port() + "/infer"))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(String body) throws Exception {
        HttpResponse<String> response = post(body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    @Test
    void theSameSeedGivesTheSameCompletionWithCountsAndFinishReason() throws Exception {
        String request = "{\"prompt\": \"def fibonacci(n):\\n\", \"max_tokens\": 12, \"seed\": 3, \"top_k\": 40}";
        JsonNode first = ok(request);
        JsonNode second = ok(request);
        assertThat(first.get("generated_result").asText()).isEqualTo(second.get("generated_result").asText());
        assertThat(first.get("prompt_tokens").asInt()).isGreaterThan(1);
        assertThat(first.get("output_tokens").asInt()).isBetween(1, 12);
        assertThat(first.get("finish_reason").asText()).isIn("stop", "length");
    }

    @Test
    void greedyIsDeterministicWithoutASeed() throws Exception {
        String request = "{\"prompt\": \"import numpy as np\\n\", \"max_tokens\": 10, \"temperature\": 0}";
        assertThat(ok(request).get("generated_result").asText()).isEqualTo(ok(request).get("generated_result").asText());
    }

    @Test
    void aPromptBeyondTheContextWindowIsRejectedWithBothSizes() throws Exception {
        String prompt = "x = 1\\n".repeat(300); // the tiny model's context is 256 tokens
        HttpResponse<String> response = post("{\"prompt\": \"" + prompt + "\"}");
        assertThat(response.statusCode()).as("a client error, not a server fault").isEqualTo(400);
        assertThat(JSON.readTree(response.body()).get("error").asText())
                .containsPattern("prompt has \\d+ tokens; the context window is 256");
    }
}
