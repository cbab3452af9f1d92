package dev.inferless.server;

import static dev.inferless.server.HttpApiTest.assertError;
import static dev.inferless.server.HttpApiTest.ok;
import static dev.inferless.server.HttpApiTest.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.config.ConfigException;
import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Concurrency limit and queue, deadline, auth, readiness and draining, each on a server of its own. */
class HttpLimitsTest {

    private static final long WAIT_S = 60;

    @TempDir
    Path tmp;

    @Test
    void beyondTheSlotsAndTheQueueRequestsGet429WithRetryAfter() throws Exception {
        Path release = tmp.resolve("release");
        try (TestServer server = TestServer.start(repo(), "server.container_concurrency=1", "server.queue_size=1")) {
            CompletableFuture<HttpResponse<String>> running = server.postAsync("/infer", hold("a", release));
            waitFor(() -> Files.exists(Path.of(release + ".started")), "the first request to reach the model");
            CompletableFuture<HttpResponse<String>> queued = server.postAsync("/infer", "{\"prompt\": \"b\"}");
            waitFor(() -> metric(server, "inferless_requests_queued") == 1, "the second request to queue");
            assertThat(metric(server, "inferless_requests_in_flight")).isEqualTo(1);

            HttpResponse<String> rejected = server.post("/infer", "{\"prompt\": \"c\"}");
            assertError(rejected, 429, "over capacity");
            assertThat(rejected.headers().firstValue("Retry-After")).hasValue("1");

            Files.writeString(release, "");
            assertThat(ok(running.get(WAIT_S, TimeUnit.SECONDS)).get("generated_result").asText()).isEqualTo("a");
            assertThat(ok(queued.get(WAIT_S, TimeUnit.SECONDS)).get("generated_result").asText()).isEqualTo("b");
        }
    }

    @Test
    void pastTheDeadlineIs504TheModelIsCancelledAndTheSlotComesBack() throws Exception {
        int cancelledBefore = ControllableModel.CANCELLATIONS_SEEN.get();
        try (TestServer server = TestServer.start(repo(), "server.container_concurrency=1", "server.inference_timeout_s=2")) {
            assertError(server.post("/infer", "{\"prompt\": \"slow\", \"sleep_ms\": 600000}"), 504, "deadline");
            waitFor(() -> ControllableModel.CANCELLATIONS_SEEN.get() > cancelledBefore, "the model to see its cancellation");
            // One slot only: this succeeds only if the timed-out request gave it back.
            assertThat(ok(server.post("/infer", "{\"prompt\": \"next\"}")).get("generated_result").asText()).isEqualTo("next");
            assertThat(value(server.get("/metrics").body(), "inferless_http_requests_total{route=\"/infer\",status=\"504\"}"))
                    .isEqualTo(1);
        }
    }

    @Test
    void aClientThatHangsUpOnAnAnswerCancelsTheModelAndFreesItsSlot() throws Exception {
        int cancelledBefore = ControllableModel.CANCELLATIONS_SEEN.get();
        try (TestServer server = TestServer.start(repo(), "server.container_concurrency=1")) {
            String body = "{\"prompt\": \"slow\", \"sleep_ms\": 600000}";
            try (Socket socket = new Socket("127.0.0.1", server.runtime.port())) {
                socket.getOutputStream().write(("POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                waitFor(() -> metric(server, "inferless_requests_in_flight") == 1, "the request to reach the model");
            }
            waitFor(() -> ControllableModel.CANCELLATIONS_SEEN.get() > cancelledBefore, "the model to see its cancellation");
            // One slot only: this succeeds only if the abandoned request gave it back.
            assertThat(ok(server.post("/infer", "{\"prompt\": \"next\"}")).get("generated_result").asText()).isEqualTo("next");
        }
    }

    @Test
    void withATokenEveryRouteButHealthNeedsIt() throws Exception {
        Map<String, String> env = Map.of("TEST_TOKEN", "s3cret");
        try (TestServer server = TestServer.create(repo(), env, "server.auth_token_env=TEST_TOKEN")) {
            server.runtime.initialize();
            assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
            assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(200);
            HttpResponse<String> none = server.post("/infer", "{\"prompt\": \"a\"}");
            assertError(none, 401, "bearer token");
            assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertError(server.post("/infer", "{\"prompt\": \"a\"}", "Authorization", "Bearer s3cre"), 401, "bearer token");
            assertError(server.post("/infer", "{\"prompt\": \"a\"}", "Authorization", "Bearer s3cret!"), 401, "bearer token");
            assertError(server.post("/infer", "{\"prompt\": \"a\"}", "Authorization", "Basic s3cret"), 401, "bearer token");
            assertError(server.get("/metrics"), 401, "bearer token");
            assertError(server.get("/v2/models/controllable"), 401, "bearer token");
            assertThat(ok(server.post("/infer", "{\"prompt\": \"a\"}", "Authorization", "Bearer s3cret"))
                    .get("generated_result").asText()).isEqualTo("a");
            assertThat(server.get("/metrics", "Authorization", "Bearer s3cret").statusCode()).isEqualTo(200);
        }
        assertThatThrownBy(() -> TestServer.create(repo(), Map.of(), "server.auth_token_env=TEST_TOKEN"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("server.auth_token_env").hasMessageContaining("TEST_TOKEN");
    }

    @Test
    void liveButNotReadyUntilInitializeReturns() throws Exception {
        Path release = tmp.resolve("init-release");
        try (TestServer server = TestServer.create(repo(), Map.of(), "model.initialize_hold=" + release)) {
            CompletableFuture<Void> init = CompletableFuture.runAsync(() -> {
                try {
                    server.runtime.initialize();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            waitFor(() -> Files.exists(Path.of(release + ".started")), "initialize to start");
            assertThat(server.get("/v2/health/live").statusCode()).isEqualTo(200);
            assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(503);
            assertThat(server.get("/v2/models/controllable/ready").statusCode()).isEqualTo(503);
            assertError(server.post("/infer", "{\"prompt\": \"a\"}"), 503, "not ready");
            assertError(server.post("/v2/models/controllable/infer", HttpApiTest.v2("prompt", "[1]", "BYTES", "[\"a\"]")), 503, "not ready");
            Files.writeString(release, "");
            init.get(WAIT_S, TimeUnit.SECONDS);
            assertThat(server.get("/v2/health/ready").statusCode()).isEqualTo(200);
            assertThat(ok(server.post("/infer", "{\"prompt\": \"a\"}")).get("generated_result").asText()).isEqualTo("a");
        }
    }

    @Test
    void shutdownRefusesNewRequestsDrainsInFlightAndFinalizesOnce() throws Exception {
        Path release = tmp.resolve("release");
        TestServer server = TestServer.start(repo(), "model.marker_dir=" + tmp);
        CompletableFuture<HttpResponse<String>> running = server.postAsync("/infer", hold("in-flight", release));
        waitFor(() -> Files.exists(Path.of(release + ".started")), "the request to reach the model");
        CompletableFuture<Boolean> shutdown = CompletableFuture.supplyAsync(server.runtime::shutdown);
        waitFor(() -> server.get("/v2/health/ready").statusCode() == 503, "readiness to drop");
        assertError(server.post("/infer", "{\"prompt\": \"late\"}"), 503, "shutting down");
        assertThat(shutdown).isNotDone();
        assertThat(tmp.resolve("finalize.log")).doesNotExist();

        Files.writeString(release, "");
        assertThat(ok(running.get(WAIT_S, TimeUnit.SECONDS)).get("generated_result").asText()).isEqualTo("in-flight");
        assertThat(shutdown.get(WAIT_S, TimeUnit.SECONDS)).isTrue();
        assertThat(server.runtime.shutdown()).isTrue();
        assertThat(Files.readAllLines(tmp.resolve("finalize.log"))).containsExactly("finalize");
    }

    @Test
    void afterTheGracePeriodRunningRequestsAreCancelledAndTheModelFinalized() throws Exception {
        int cancelledBefore = ControllableModel.CANCELLATIONS_SEEN.get();
        TestServer server = TestServer.start(repo(), "model.marker_dir=" + tmp, "server.shutdown_grace_s=0.5");
        server.postAsync("/infer", "{\"prompt\": \"slow\", \"sleep_ms\": 600000}");
        waitFor(() -> metric(server, "inferless_requests_in_flight") == 1, "the request to reach the model");
        assertThat(server.runtime.shutdown()).isTrue();
        waitFor(() -> ControllableModel.CANCELLATIONS_SEEN.get() > cancelledBefore, "the model to see its cancellation");
        assertThat(Files.readAllLines(tmp.resolve("finalize.log"))).containsExactly("finalize");
    }

    private Path repo() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "repo");
        return TestRepos.controllable(dir, ControllableModel.class);
    }

    private static String hold(String prompt, Path release) {
        return "{\"prompt\": \"" + prompt + "\", \"hold\": \"" + release + "\"}";
    }

    private static double metric(TestServer server, String series) {
        try {
            return value(server.get("/metrics").body(), series);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    static void waitFor(Condition condition, String what) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!condition.holds()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
