package dev.inferless.server;

import static dev.inferless.server.HttpApiTest.ok;
import static dev.inferless.server.HttpApiTest.value;
import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An LLM repo's engine is its one queue and limit: server.container_concurrency=1 does not
 * serialize its requests, which still share decode steps up to model.max_batch_size.
 */
class LlmQueueServingTest {

    @Test
    void containerConcurrencyDoesNotLimitAnLlmRepoItsBatchDoes() throws Exception {
        Path tmp = Files.createTempDirectory("llm-queue");
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 9, tmp.resolve("ckpt"));
        try (TestServer server = TestServer.start(Path.of("models/codellama-34b-python"), "model.weights=" + tmp.resolve("ckpt"),
                "model.device=cpu", "model.warmup=false", "server.container_concurrency=1", "model.max_batch_size=4")) {
            List<CompletableFuture<HttpResponse<String>>> together = new ArrayList<>();
            for (String prompt : List.of("def fib(n):", "class Tree:", "import os", "x = 1")) {
                together.add(server.postAsync("/v1/completions", "{\"prompt\": \"" + prompt
                        + "\", \"max_tokens\": 40, \"temperature\": 0, \"ignore_eos\": true}"));
            }
            for (CompletableFuture<HttpResponse<String>> r : together) {
                ok(r.get(60, TimeUnit.SECONDS));
            }
            String metrics = server.get("/metrics").body();
            double stepsOfOne = value(metrics, "inferless_batch_size_bucket{le=\"1.0\"}");
            assertThat(value(metrics, "inferless_batch_size_count") - stepsOfOne).as("steps with more than one sequence")
                    .isGreaterThan(0);
            assertThat(value(metrics, "inferless_requests_queued")).isZero();
        }
    }
}
