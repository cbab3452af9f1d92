package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model without a streaming form still streams: its whole output as one chunk. */
class DefaultStreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void oneChunkOnInferAndOneTextChunkThenUsageOnCompletions() throws Exception {
        try (TestServer server = TestServer.start(TestRepos.controllable(tmp, ControllableModel.class))) {
            List<String> infer = events(server, "/infer", "{\"prompt\": \"é世 🎉\", \"stream\": true}");
            assertThat(infer).hasSize(1);
            assertThat(JSON.readTree(infer.get(0)).get("generated_result").asText()).isEqualTo("é世 🎉");

            List<String> completions = events(server, "/v1/completions",
                    "{\"prompt\": \"abc\", \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
            assertThat(completions).hasSize(3);
            assertThat(JSON.readTree(completions.get(0)).get("choices").get(0).get("text").asText()).isEqualTo("abc");
            assertThat(JSON.readTree(completions.get(1)).get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
            JsonNode last = JSON.readTree(completions.get(2));
            assertThat(last.get("choices")).isEmpty();
            assertThat(last.get("usage").get("total_tokens").asInt()).isZero(); // this model reports no counts
        }
    }

    private static List<String> events(TestServer server, String path, String body) throws Exception {
        HttpResponse<byte[]> r = server.send(server.request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return SseEvents.parse(r.body()).dataBeforeDone();
    }
}
