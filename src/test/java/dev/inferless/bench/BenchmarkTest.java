package dev.inferless.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.llm.engine.GenerationRequest;
import dev.inferless.llm.engine.GenerationResult;
import dev.inferless.serving.PeakMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchmarkTest {

    private static final Benchmark.Labels LABELS = new Benchmark.Labels("tiny", "test machine", "2026-11-26");

    /** A fake clock the fake model advances: load takes 2 s, each request 0.5 s per prompt character / 10. */
    @Test
    void coldStartAndAveragesComeFromTheClockAndTheResults() throws Exception {
        AtomicLong now = new AtomicLong();
        List<GenerationRequest> seen = new ArrayList<>();
        Benchmark.Loaded loaded = new Benchmark.Loaded(request -> {
            seen.add(request);
            now.addAndGet(request.prompt().length() * 100_000_000L); // 0.1 s per character
            // decode rate 10 tokens/s for the short prompt, 30 for the long one
            int n = request.prompt().length() * 4;
            return new GenerationResult("x", 3, n, GenerationResult.LENGTH, 20.0, n == 8 ? 10.0 : 30.0);
        }, "GPTQ 4-bit g32", "cpu");
        BenchReport report = new Benchmark(now::get).run(LABELS, () -> {
            now.addAndGet(2_000_000_000L);
            return loaded;
        }, List.of("ab", "abcd"), 2, 64, true);

        assertThat(report.loadSeconds()).isCloseTo(2.0, within(1e-9));
        assertThat(report.firstInferenceSeconds()).isCloseTo(0.2, within(1e-9)); // first prompt, 2 characters
        assertThat(report.coldStartSeconds()).isCloseTo(2.2, within(1e-9));
        assertThat(report.averageLatencySeconds()).isCloseTo(0.3, within(1e-9)); // (0.2 + 0.4) / 2
        assertThat(report.averageOutputTokens()).isCloseTo(12, within(1e-9)); // (8 + 16) / 2
        assertThat(report.tokensPerSecond()).isCloseTo(40, within(1e-9)); // 48 tokens / 1.2 s
        assertThat(report.averageTimeToFirstTokenMs()).isEqualTo(20.0);
        // per run: 7 tokens in 0.7 s and 15 tokens in 0.5 s; 44 tokens in 2.4 s over both runs
        assertThat(report.averageDecodeTokensPerSecond()).isCloseTo(44 / 2.4, within(1e-9));
        assertThat(seen).hasSize(1 + 2 * 2).allMatch(r -> r.maxTokens() == 64 && r.ignoreEos() && r.seed() != null);
    }

    /** A server (bench --url) reports its own cold start and memory; the requests are timed as in process. */
    @Test
    void aServersOwnFootprintReplacesTheTimedColdStartAndThisProcesssMemory() throws Exception {
        AtomicLong now = new AtomicLong();
        Benchmark.Loaded server = new Benchmark.Loaded(request -> {
            now.addAndGet(500_000_000L);
            return new GenerationResult("x", 3, request.maxTokens(), GenerationResult.LENGTH, 50.0, 10.0);
        }, "n/a", "via HTTP", () -> new Benchmark.Footprint(3.0, 0.75, -1, -1));
        BenchReport report = new Benchmark(now::get).run(LABELS, () -> {
            now.addAndGet(9_000_000_000L); // connecting is not the server's load
            return server;
        }, List.of("ab", "abcd"), 1, 4, true);

        assertThat(report.loadSeconds()).isEqualTo(3.0);
        assertThat(report.firstInferenceSeconds()).isEqualTo(0.75);
        assertThat(report.peakHeapBytes()).isEqualTo(-1);
        assertThat(report.peakRssBytes()).isEqualTo(-1);
        assertThat(report.averageLatencySeconds()).isCloseTo(0.5, within(1e-9));
        assertThat(report.averageOutputTokens()).isEqualTo(4);
        assertThat(report.tableRow()).contains("| 3.75 (load 3.00 + first 0.75) |").contains("heap n/a, RSS n/a");
    }

    @Test
    void markdownTableAndJsonCarryEveryColumn() throws Exception {
        BenchReport report = new BenchReport("codellama-34b-python", "GPTQ 4-bit g128", "gpu(0)", "H100", "2026-11-26",
                10, 3, 512, true, 4.5, 1.25, 12.3456, 41.5, 512, 85.2, 43.0, 3L << 30, 1536L << 20);
        String md = report.toMarkdown();
        assertThat(md).contains(BenchReport.TABLE_HEADER);
        assertThat(md).contains("| codellama-34b-python | GPTQ 4-bit g128 | gpu(0) | 12.35 | 41.5 | 512 | 5.75 (load 4.50 + first 1.25) | 85 | heap 3.00 GiB, RSS 1.50 GiB |");
        assertThat(md).contains("10 prompts x 3 runs, max_tokens 512 (EOS ignored)");
        String[] header = BenchReport.TABLE_HEADER.split("\n")[0].split("\\|");
        String[] row = report.tableRow().trim().split("\\|");
        assertThat(row).hasSameSizeAs(header);

        JsonNode json = new ObjectMapper().readTree(report.toJson());
        assertThat(json.path("averageLatencySeconds").asDouble()).isEqualTo(12.3456);
        assertThat(json.path("coldStartSeconds").asDouble()).isEqualTo(5.75);
        assertThat(json.path("peakRssBytes").asLong()).isEqualTo(1536L << 20);
        assertThat(json.path("model").asText()).isEqualTo("codellama-34b-python");
    }

    @Test
    void peakRssIsReadFromVmHwmInKilobytes() {
        assertThat(PeakMemory.parseVmHwm(List.of("Name:\tjava", "VmPeak:\t 999 kB", "VmHWM:\t  2048 kB"))).isEqualTo(2048L * 1024);
        assertThat(PeakMemory.parseVmHwm(List.of("Name:\tjava"))).isEqualTo(-1);
        assertThat(BenchReport.bytes(-1)).isEqualTo("n/a");
    }

    @Test
    void theFixedPromptsAreAboutTenPythonCompletions() {
        List<String> prompts = BenchPrompts.load();
        assertThat(prompts).hasSize(10).allMatch(p -> p.contains("def ") || p.contains("class "));
    }

    @Test
    void commandLineDefaultsAndExclusiveSource() {
        BenchCommand cmd = new BenchCommand();
        new CommandLine(cmd).parseArgs("--model", "models/codellama-34b-python");
        assertThat(cmd.runs).isEqualTo(3);
        assertThat(cmd.maxTokens).isEqualTo(512);
        assertThat(cmd.ignoreEos).isTrue();
        BenchCommand noEos = new BenchCommand();
        new CommandLine(noEos).parseArgs("--weights", "/ckpt", "--no-ignore-eos", "--runs", "5");
        assertThat(noEos.ignoreEos).isFalse();
        assertThat(noEos.runs).isEqualTo(5);
        assertThat(new CommandLine(new BenchCommand()).execute("--model", "a", "--weights", "b")).isNotZero();
    }
}
