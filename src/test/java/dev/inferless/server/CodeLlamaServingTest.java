package dev.inferless.server;

import static dev.inferless.server.HttpApiTest.assertError;
import static dev.inferless.server.HttpApiTest.ok;
import static dev.inferless.server.HttpApiTest.value;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The codellama-34b-python model repo on a tiny fp32 checkpoint, served end to end: concurrent
 * requests share decode steps and still answer exactly what each answers alone; OpenAI streaming
 * with multi-byte text and ignore_eos; the LLM metrics.
 */
class CodeLlamaServingTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] PROMPTS = {"def fib(n):", "class Tree:\n    ", "import os\n", "# é 世界 🎉\nx ="};

    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        Path tmp = Files.createTempDirectory("codellama-serving");
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 9, tmp.resolve("ckpt"));
        server = TestServer.start(Path.of("models/codellama-34b-python"), "model.weights=" + tmp.resolve("ckpt"),
                "model.device=cpu", "model.warmup=false", "server.container_concurrency=4");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String greedy(String prompt, int maxTokens, boolean stream) {
        try {
            java.util.Map<String, Object> body = new java.util.LinkedHashMap<>(java.util.Map.of("prompt", prompt,
                    "max_tokens", maxTokens, "temperature", 0, "stream", stream));
            if (stream) body.put("stream_options", java.util.Map.of("include_usage", true));
            return JSON.writeValueAsString(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void concurrentRequestsShareDecodeStepsAndAnswerAsAlone() throws Exception {
        List<String> alone = new ArrayList<>();
        for (String p : PROMPTS) {
            alone.add(ok(server.post("/v1/completions", greedy(p, 40, false))).get("choices").get(0).get("text").asText());
        }
        List<CompletableFuture<HttpResponse<String>>> together = new ArrayList<>();
        for (String p : PROMPTS) {
            together.add(server.postAsync("/v1/completions", greedy(p, 40, false)));
        }
        for (int i = 0; i < PROMPTS.length; i++) {
            JsonNode body = ok(together.get(i).get(60, TimeUnit.SECONDS));
            assertThat(body.get("choices").get(0).get("text").asText()).as(PROMPTS[i]).isEqualTo(alone.get(i));
        }
        String metrics = server.get("/metrics").body();
        double stepsOfOne = value(metrics, "inferless_batch_size_bucket{le=\"1.0\"}");
        assertThat(value(metrics, "inferless_batch_size_count") - stepsOfOne).as("steps with more than one sequence")
                .isGreaterThan(0);
        String model = "{model_name=\"codellama-34b-python\"}";
        double generated = value(metrics, "inferless_generated_tokens_total" + model);
        assertThat(generated).isGreaterThan(0);
        assertThat(value(metrics, "inferless_batch_running")).isZero();
        assertThat(value(metrics, "inferless_batch_waiting")).isZero();
        assertThat(value(metrics, "inferless_kv_cache_usage_perc" + model)).isZero();
        assertThat(value(metrics, "inferless_prefix_cache_queries_total")).isGreaterThan(0);
        assertThat(value(metrics, "inferless_num_preemptions_total")).as("the default pool holds every sequence").isZero();
        double generations = value(metrics, "inferless_time_to_first_token_seconds_count" + model);
        assertThat(generations).isGreaterThanOrEqualTo(8);
        assertThat(value(metrics, "inferless_time_per_output_token_seconds_count" + model)).isGreaterThan(0);
        // One observation per generation in each per-request family, one per token after the first in inter-token latency.
        for (String family : new String[] {"request_queue_time_seconds", "request_prefill_time_seconds",
            "request_decode_time_seconds", "request_prompt_tokens", "request_generation_tokens"}) {
            assertThat(value(metrics, "inferless_" + family + "_count" + model)).as(family).isEqualTo(generations);
        }
        assertThat(value(metrics, "inferless_inter_token_latency_seconds_count" + model)).isEqualTo(generated - generations);
        assertThat(value(metrics, "inferless_request_generation_tokens_sum" + model)).isEqualTo(generated);
        assertThat(value(metrics, "inferless_request_success_total{finished_reason=\"length\",model_name=\"codellama-34b-python\"}"))
                .isGreaterThanOrEqualTo(8);
        assertThat(value(metrics, "inferless_e2e_request_latency_seconds_count{route=\"/v1/completions\",status=\"200\"}"))
                .isGreaterThanOrEqualTo(8);
    }

    @Test
    void openAiStreamingConcatenatesToTheNonStreamingTextWithUsageLast() throws Exception {
        String prompt = PROMPTS[3];
        JsonNode whole = ok(server.post("/v1/completions", greedy(prompt, 30, false)));
        HttpResponse<byte[]> r = server.send(server.request("/v1/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(greedy(prompt, 30, true))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        List<String> data = SseEvents.parse(r.body()).dataBeforeDone();
        StringBuilder text = new StringBuilder();
        for (String d : data) text.append(JSON.readTree(d).get("choices").path(0).path("text").asText());
        assertThat(text.toString()).isEqualTo(whole.get("choices").get(0).get("text").asText());
        JsonNode last = JSON.readTree(data.get(data.size() - 1));
        assertThat(last.get("usage")).isEqualTo(whole.get("usage"));
        assertThat(JSON.readTree(data.get(data.size() - 2)).get("choices").get(0).get("finish_reason").asText())
                .isEqualTo(whole.get("choices").get(0).get("finish_reason").asText());
    }

    /** ignore_eos is an input of the repo, so /v1/completions passes it on as it passes /infer's fields. */
    @Test
    void openAiIgnoreEosGoesPastTheEosThatEndedACompletion() throws Exception {
        String request = null;
        for (int seed = 0; seed < 40; seed++) { // the tiny model samples EOS now and then: find a seed that does
            String r = "{\"prompt\": \"def f(x):\", \"max_tokens\": 24, \"seed\": " + seed;
            if (ok(server.post("/v1/completions", r + "}")).at("/choices/0/finish_reason").asText().equals("stop")) {
                request = r;
                break;
            }
        }
        assertThat(request).as("a seed whose completion ends at EOS within 24 tokens").isNotNull();
        JsonNode past = ok(server.post("/v1/completions", request + ", \"ignore_eos\": true}"));
        assertThat(past.at("/usage/completion_tokens").asInt()).isEqualTo(24);
        assertThat(past.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"ignore_eos\": \"yes\"}"), 400, "ignore_eos");
    }

    @Test
    void aPromptPastTheContextWindowIsAClientError() throws Exception {
        HttpResponse<String> tooLong = server.post("/v1/completions", greedy(" x".repeat(400), 4, false));
        assertError(tooLong, 400, "maximum context length");
        assertThat(JSON.readTree(tooLong.body()).at("/error/code").asText()).isEqualTo("context_length_exceeded");
        assertError(server.post("/infer", "{\"prompt\": \"" + " x".repeat(400) + "\", \"stream\": true}"), 400, "context window");
        assertError(server.post("/infer", "{\"prompt\": \"a\", \"max_tokens\": 0}"), 400, "max_tokens");
        assertError(server.post("/infer", "{\"prompt\": \"a\", \"top_p\": 7, \"stream\": true}"), 400, "top_p");
    }
}
