package dev.inferless.server;

import static dev.inferless.server.HttpApiTest.assertError;
import static dev.inferless.server.StreamingHttpTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.server.testmodel.StreamingTestModel;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clients that walk away, a full queue on the streaming routes, and no slot or native memory left behind. */
class ServingFaultTest {

    private static final int CLIENTS = 200;

    @TempDir
    Path tmp;

    @Test
    void twoHundredClientsWalkingAwayMidStreamLeaveNoSlotAndNoGenerationBehind() throws Exception {
        try (TestServer server = TestServer.start(StreamingTestModel.repo(tmp), "server.container_concurrency=8",
                "server.queue_size=" + CLIENTS)) {
            walkAway(server, "/infer", "{\"prompt\": \"abc\", \"max_tokens\": 100000, \"chunk_ms\": 1, \"stream\": true}");
            waitFor(() -> server.metric("inferless_requests_in_flight") == 0 && server.metric("inferless_requests_queued") == 0,
                    "every slot to come back");
            waitFor(() -> StreamingTestModel.RUNNING.get() == 0, "every generation to end");
            assertThat(HttpApiTest.ok(server.post("/infer", "{\"prompt\": \"still here\", \"max_tokens\": 3}"))
                    .get("generated_result").asText()).isEqualTo("sti");
        }
    }

    @Test
    void twoHundredLlmStreamsAbandonedLeaveNoSessionOrNativeArrayBehind() throws Exception {
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 3, tmp.resolve("ckpt"));
        try (TestServer server = TestServer.start(Path.of("models/codellama-34b-python"), "model.weights=" + tmp.resolve("ckpt"),
                "model.device=cpu", "model.warmup=false", "server.container_concurrency=8", "server.queue_size=" + CLIENTS)) {
            String body = "{\"prompt\": \"def f(x):\", \"max_tokens\": 200, \"temperature\": 0, \"stream\": true}";
            // One complete request first, so that every lazily made array exists in the baseline.
            int full = HttpApiTest.ok(server.post("/v1/completions", body.replace("true", "false")))
                    .get("usage").get("completion_tokens").asInt();
            assertThat(full).as("uncancelled, this prompt runs long").isEqualTo(200);
            int baseline = liveArrays();
            assertThat(baseline).as("the probe sees the model's weights").isGreaterThan(10);
            walkAway(server, "/v1/completions", body);
            waitFor(() -> server.metric("inferless_requests_in_flight") == 0 && server.metric("inferless_requests_queued") == 0,
                    "every slot to come back");
            assertThat(liveArrays()).as("live NDArrays after the abandoned streams").isEqualTo(baseline);
            double generated = HttpApiTest.value(server.get("/metrics").body(),
                    "inferless_generated_tokens_total{model_name=\"codellama-34b-python\"}") - full;
            assertThat(generated).as("tokens generated for abandoned streams (%d uncancelled would be %d)", CLIENTS, CLIENTS * full)
                    .isLessThan(CLIENTS * full / 10.0);
        }
    }

    @Test
    void aFullQueueOnTheStreamingRoutesIs429WithRetryAfter() throws Exception {
        try (TestServer server = TestServer.start(StreamingTestModel.repo(tmp), "server.container_concurrency=1",
                "server.queue_size=0", "server.shutdown_grace_s=1")) {
            CompletableFuture<HttpResponse<String>> hanging =
                    server.postAsync("/infer", "{\"prompt\": \"a\", \"hang\": true, \"stream\": true}");
            waitFor(() -> server.metric("inferless_requests_in_flight") == 1, "the first request to hold the slot");
            for (String route : List.of("/infer", "/v1/completions")) {
                HttpResponse<String> r = server.post(route, "{\"prompt\": \"b\", \"stream\": true}");
                assertError(r, 429, "over capacity");
                assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
            }
            server.close(); // the grace period cancels the hanging request
            // ... and the stopping server still delivers its stream whole.
            assertThat(hanging.get(60, TimeUnit.SECONDS).body()).endsWith("data: [DONE]\n\n");
        }
    }

    /** CLIENTS clients, 16 at a time, each reading the first event of its stream and then closing the socket. */
    private static void walkAway(TestServer server, String path, String body) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(pool.submit(() -> {
                    RawStreamClient.openUntilFirstEvent(server.runtime.port(), path, body).close();
                    return null;
                }));
            }
            for (Future<?> c : clients) {
                c.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Every NDArray the PyTorch engine's managers hold now, sub-managers included. */
    private static int liveArrays() {
        try (NDManager probe = Engine.getEngine("PyTorch").newBaseManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }
}
