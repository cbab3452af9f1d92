package dev.inferless.server;

import static dev.inferless.server.StreamingHttpTest.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shutdown past the grace period, and models that ignore their cancellation: the slot limit and finalize hold. */
class ShutdownUnderLoadTest {

    @TempDir
    Path tmp;

    @BeforeEach
    void resetCounters() {
        ControllableModel.MAX_INSIDE.set(0);
        ControllableModel.CALLS_AFTER_FINALIZE.set(0);
        ControllableModel.FINALIZED_UNDER_A_CALL.set(0);
    }

    @Test
    void requestsStillQueuedWhenTheGraceEndsGet503AndNeverReachTheFinalizedModel() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        try (TestServer server = TestServer.start(TestRepos.controllable(tmp, ControllableModel.class),
                "model.marker_dir=" + tmp, "server.container_concurrency=2", "server.queue_size=64",
                "server.shutdown_grace_s=1")) {
            for (int i = 0; i < 2; i++) {
                responses.add(server.postAsync("/infer", "{\"prompt\": \"long\", \"sleep_ms\": 600000}"));
            }
            waitFor(() -> server.metric("inferless_requests_in_flight") == 2, "both slots to be taken");
            for (int i = 0; i < 30; i++) {
                responses.add(server.postAsync("/infer", "{\"prompt\": \"queued\"}"));
            }
            waitFor(() -> server.metric("inferless_requests_queued") == 30, "30 requests to queue");
        }
        for (CompletableFuture<HttpResponse<String>> r : responses) {
            HttpResponse<String> response = r.get(60, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as(response.body()).isIn(200, 503);
        }
        assertThat(ControllableModel.CALLS_AFTER_FINALIZE.get()).as("calls after finalize").isZero();
        assertThat(Files.readAllLines(tmp.resolve("finalize.log"))).containsExactly("finalize");
    }

    @Test
    void callsPastTheirDeadlineKeepTheirSlotAndFinalizeWaitsForThem() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        try (TestServer server = TestServer.start(TestRepos.controllable(tmp, ControllableModel.class),
                "model.marker_dir=" + tmp, "server.container_concurrency=2", "server.queue_size=64",
                "server.inference_timeout_s=0.3", "server.shutdown_grace_s=0.2")) {
            for (int i = 0; i < 12; i++) {
                responses.add(server.postAsync("/infer", "{\"prompt\": \"deaf\", \"stubborn_ms\": 1000}"));
            }
            for (CompletableFuture<HttpResponse<String>> r : responses) {
                HttpResponse<String> response = r.get(60, TimeUnit.SECONDS);
                assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
            }
            // The deadline answered each at once, but the calls go on: they must still count against the limit.
            assertThat(server.metric("inferless_requests_in_flight")).as("calls still inside the model").isPositive();
        }
        assertThat(ControllableModel.MAX_INSIDE.get()).as("calls inside the model at once").isLessThanOrEqualTo(2);
        assertThat(ControllableModel.FINALIZED_UNDER_A_CALL.get()).as("finalize with a call inside").isZero();
        assertThat(Files.readAllLines(tmp.resolve("finalize.log"))).containsExactly("finalize");
    }
}
