package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.inferless.api.GenerationStats;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The /metrics exposition with every family present: the JVM and process metrics, and the LLM
 * families labelled with the model's name; {@code promtool check metrics} (Debian package
 * prometheus) finds no problem in it.
 */
class MetricsExpositionTest {

    private static String scrape() throws Exception {
        Metrics metrics = new Metrics();
        metrics.recordRequest("/v2/models/{name}/generate", 200, 0.2);
        metrics.coldStart("total", 1.5);
        metrics.ready(true);
        metrics.add("model_steps", "Steps the model ran", 3);
        metrics.generation("codellama", new GenerationStats(9, 4, "length", 0.01, 0.05, 0.03, new double[] {0.01, 0.01, 0.01}));
        metrics.generation("codellama", new GenerationStats(5, 0, "cancelled", 0.2, 0, 0, new double[0]));
        metrics.kvCacheUsage("codellama", () -> 0.25);
        metrics.counter("inferless_num_preemptions", "Sequences preempted", () -> 3);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.write(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jvmProcessAndLlmFamiliesAreExported() throws Exception {
        String text = scrape();
        assertThat(text).contains("\njvm_memory_used_bytes{", "\njvm_threads_current ", "\nprocess_cpu_seconds_total ");
        assertThat(HttpApiTest.value(text, "inferless_generated_tokens_total{model_name=\"codellama\"}")).isEqualTo(4);
        assertThat(HttpApiTest.value(text, "inferless_request_success_total{finished_reason=\"cancelled\",model_name=\"codellama\"}"))
                .isEqualTo(1);
        assertThat(HttpApiTest.value(text, "inferless_inter_token_latency_seconds_count{model_name=\"codellama\"}")).isEqualTo(3);
        // A generation without tokens has no first token: it counts in the queue time, not in time to first token.
        assertThat(HttpApiTest.value(text, "inferless_request_queue_time_seconds_count{model_name=\"codellama\"}")).isEqualTo(2);
        assertThat(HttpApiTest.value(text, "inferless_time_to_first_token_seconds_count{model_name=\"codellama\"}")).isEqualTo(1);
        assertThat(HttpApiTest.value(text, "inferless_time_to_first_token_seconds_sum{model_name=\"codellama\"}"))
                .isCloseTo(0.06, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(HttpApiTest.value(text, "inferless_kv_cache_usage_perc{model_name=\"codellama\"}")).isEqualTo(0.25);
        assertThat(HttpApiTest.value(text, "inferless_num_preemptions_total")).isEqualTo(3);
        assertThat(text).contains("# TYPE inferless_num_preemptions_total counter");
    }

    @Test
    void promtoolFindsNoProblem() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/promtool")) || onPath("promtool"),
                "promtool is not installed (apt-get install prometheus)");
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(scrape().getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(report).as("promtool check metrics").isEmpty();
        assertThat(p.exitValue()).isZero();
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
