package dev.inferless.server;

import static dev.inferless.server.HttpApiTest.assertError;
import static dev.inferless.server.HttpApiTest.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.inferless.config.ConfigException;
import dev.inferless.server.testmodel.BatchingTestModel;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dynamic batching (model.batch_size, model.batch_window): gathered requests, one model call, each its own answer. */
class DynamicBatchingTest {

    @TempDir
    Path tmp;

    @Test
    void requestsArrivingTogetherRunAsOneBatchAndEachGetsItsOwnOutput() throws Exception {
        // A window far longer than any test: the batch can only close early by filling up.
        try (TestServer server = TestServer.start(BatchingTestModel.repo(tmp), "model.batch_size=4",
                "model.batch_window=600000", "server.container_concurrency=4", "model.warmup=false")) {
            BatchingTestModel.BATCHES.clear();
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                answers.add(server.postAsync("/infer", "{\"prompt\": \"request " + i + "\"}"));
            }
            for (int i = 0; i < 4; i++) {
                JsonNode out = ok(answers.get(i).get(60, TimeUnit.SECONDS));
                assertThat(out.get("generated_result").asText()).isEqualTo("REQUEST " + i);
                assertThat(out.get("batch_size").asInt()).isEqualTo(4);
            }
            assertThat(BatchingTestModel.BATCHES).containsExactly(4);
            assertThat(HttpApiTest.value(server.get("/metrics").body(), "inferless_batch_size_count")).isEqualTo(1);
        }
    }

    @Test
    void aLoneRequestRunsWhenTheWindowCloses() throws Exception {
        try (TestServer server = TestServer.start(BatchingTestModel.repo(tmp), "model.batch_size=8", "model.batch_window=20")) {
            JsonNode out = ok(server.post("/infer", "{\"prompt\": \"alone\"}"));
            assertThat(out.get("generated_result").asText()).isEqualTo("ALONE");
            assertThat(out.get("batch_size").asInt()).isEqualTo(1);
        }
    }

    @Test
    void aFailingBatchFailsItsOwnRequestsOnlyAndAWrongOutputCountIsA500() throws Exception {
        try (TestServer server = TestServer.start(BatchingTestModel.repo(tmp), "model.batch_size=2",
                "model.batch_window=600000", "server.container_concurrency=2", "model.warmup=false")) {
            CompletableFuture<HttpResponse<String>> a = server.postAsync("/infer", "{\"prompt\": \"a\", \"fail\": true}");
            CompletableFuture<HttpResponse<String>> b = server.postAsync("/infer", "{\"prompt\": \"b\"}");
            assertError(a.get(60, TimeUnit.SECONDS), 500, "batch failed on 'a'");
            assertError(b.get(60, TimeUnit.SECONDS), 500, "batch failed on 'a'");
            CompletableFuture<HttpResponse<String>> c = server.postAsync("/infer", "{\"prompt\": \"c\", \"wrong_count\": true}");
            CompletableFuture<HttpResponse<String>> d = server.postAsync("/infer", "{\"prompt\": \"d\"}");
            assertError(c.get(60, TimeUnit.SECONDS), 500, "1 outputs for 2 inputs");
            assertError(d.get(60, TimeUnit.SECONDS), 500, "1 outputs for 2 inputs");
            // The next batch is fine.
            CompletableFuture<HttpResponse<String>> e = server.postAsync("/infer", "{\"prompt\": \"e\"}");
            CompletableFuture<HttpResponse<String>> f = server.postAsync("/infer", "{\"prompt\": \"f\"}");
            assertThat(ok(e.get(60, TimeUnit.SECONDS)).get("generated_result").asText()).isEqualTo("E");
            assertThat(ok(f.get(60, TimeUnit.SECONDS)).get("generated_result").asText()).isEqualTo("F");
        }
    }

    @Test
    void badBatchSettingsStopTheServerAtStartNamingTheKey() {
        assertThatThrownBy(() -> TestServer.start(BatchingTestModel.repo(tmp), "model.batch_size=0"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("model.batch_size");
    }
}
