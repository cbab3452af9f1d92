package dev.inferless.server;

import static dev.inferless.server.HttpApiTest.ok;
import static dev.inferless.server.HttpApiTest.value;
import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.serving.testmodel.TestRepos;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example repo, code as app/ sources compiled at start, served end to end. */
class SourceRepoServingTest {

    @TempDir
    Path tmp;

    @Test
    void theEchoExampleServesBothProtocolsAndCountsItsMetric() throws Exception {
        try (TestServer server = TestServer.start(TestRepos.copy(Path.of("models/echo"), tmp.resolve("echo")))) {
            assertThat(ok(server.post("/infer", "{\"prompt\": \"def fib(n):\"}")).toString())
                    .isEqualTo("{\"generated_result\":\"def fib(n):\"}");
            String v2 = HttpApiTest.v2("prompt", "[1]", "BYTES", "[\"abc\"]");
            assertThat(ok(server.post("/v2/models/echo/infer", v2)).get("outputs").get(0).get("data").get(0).asText())
                    .isEqualTo("abc");
            // The warm-up example ("Hello from Inferless", 20) plus the two requests (11 + 3).
            assertThat(value(server.get("/metrics").body(), "echo_characters_total")).isEqualTo(34);
        }
    }
}
