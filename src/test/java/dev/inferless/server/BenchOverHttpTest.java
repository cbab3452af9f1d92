package dev.inferless.server;

import static dev.inferless.server.HttpApiTest.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.app.ColdStart;
import dev.inferless.bench.BenchCommand;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code bench --url} against the real server: the default repo on its tiny GPTQ checkpoint (made
 * here as the repo makes it, not in the user's cache), on CPU, warm-up on.
 */
class BenchOverHttpTest {

    private static final int MAX_TOKENS = 6;

    @TempDir
    Path tmp;

    @Test
    void theReferenceBenchmarkThroughTheServerReadsItsColdStart() throws Exception {
        CheckpointMaker.make("tiny", "gptq", 4, 32, true, 0, tmp.resolve("ckpt"));
        try (TestServer server = TestServer.start(Path.of("models/codellama-34b-python"), "model.weights=" + tmp.resolve("ckpt"),
                "model.device=cpu")) {
            Path out = tmp.resolve("bench");
            int exit = new CommandLine(new BenchCommand()).execute("--url", "http://127.0.0.1:" + server.runtime.port(),
                    "--runs", "1", "--max-tokens", Integer.toString(MAX_TOKENS), "--out", out.toString());
            assertThat(exit).isZero();

            JsonNode report = new ObjectMapper().readTree(Files.readString(out.resolve("bench.json")));
            assertThat(report.path("model").asText()).isEqualTo("codellama-34b-python");
            assertThat(report.path("device").asText()).isEqualTo("via HTTP");
            assertThat(report.path("ignoreEos").asBoolean()).as("the repo takes ignore_eos").isTrue();
            // every request generated max_tokens: the mean equals the bound each count is under
            assertThat(report.path("averageOutputTokens").asDouble()).isEqualTo(MAX_TOKENS);
            double ttftMs = report.path("averageTimeToFirstTokenMs").asDouble();
            assertThat(ttftMs).isPositive().isLessThanOrEqualTo(report.path("averageLatencySeconds").asDouble() * 1000);
            assertThat(report.path("tokensPerSecond").asDouble()).isPositive();
            ColdStart cold = server.runtime.coldStart();
            assertThat(report.path("loadSeconds").asDouble()).isCloseTo(cold.runtimeStartS() + cold.initializeS(), within(1e-6));
            assertThat(report.path("firstInferenceSeconds").asDouble()).isCloseTo(cold.warmupS(), within(1e-6)).isPositive();
            assertThat(report.path("peakRssBytes").asLong()).as("the server's own peak RSS").isGreaterThan(10L << 20);
            assertThat(report.path("peakHeapBytes").asLong()).as("the server's own peak heap").isGreaterThan(1L << 20);
            assertThat(Files.readString(out.resolve("bench.md"))).contains("via HTTP")
                    .contains("| codellama-34b-python | n/a | via HTTP |").doesNotContain("heap n/a, RSS n/a");

            // the first inference, then 10 prompts x 1 run, each one streaming completion
            String metrics = server.get("/metrics").body();
            assertThat(value(metrics, "inferless_e2e_request_latency_seconds_count{route=\"/v1/completions\",status=\"200\"}"))
                    .isEqualTo(11);
        }
    }
}
