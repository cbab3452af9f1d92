package dev.inferless.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.sun.net.httpserver.HttpServer;
import dev.inferless.llm.engine.GenerationResult;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The HTTP side of {@code bench --url} without a model: the stream read with a fake clock, the server's figures, failures. */
class ServerTargetTest {

    private static final String CHUNK = "data: {\"choices\": [{\"text\": \"%s\", \"index\": 0, \"finish_reason\": null}]}\n\n";

    /** Each read of the clock is 100 ms later. */
    private static ServerTarget target(AtomicLong now) {
        return new ServerTarget("http://bench.test:1", null, () -> now.addAndGet(100_000_000L), "m", false);
    }

    @Test
    void aStreamGivesTextUsageFinishReasonAndClientSideTimes() throws Exception {
        String sse = CHUNK.formatted("def") + ": keep-alive comment\n\n" + CHUNK.formatted(" f():")
                + "data: {\"choices\": [{\"text\": \"\", \"index\": 0, \"finish_reason\": \"length\"}],"
                + " \"usage\": {\"prompt_tokens\": 7, \"completion_tokens\": 5, \"total_tokens\": 12}}\n\n"
                + "data: [DONE]\n\n";
        AtomicLong now = new AtomicLong();
        GenerationResult r = target(now).readStream(new BufferedReader(new StringReader(sse)), 0);
        assertThat(r.text()).isEqualTo("def f():");
        assertThat(r.promptTokens()).isEqualTo(7);
        assertThat(r.outputTokens()).isEqualTo(5);
        assertThat(r.finishReason()).isEqualTo("length");
        assertThat(r.timeToFirstTokenMs()).isCloseTo(100, within(1e-9)); // first event: the clock's first read
        assertThat(r.decodeTokensPerSecond()).isCloseTo(4 / 0.1, within(1e-9)); // 4 tokens after the first, [DONE] 100 ms later
    }

    @Test
    void anErrorEventOrAStreamCutShortIsAnError() {
        String failed = CHUNK.formatted("x") + "event: error\ndata: {\"error\": \"deadline of 5 s exceeded\", \"status\": 504}\n\n";
        assertThatThrownBy(() -> target(new AtomicLong()).readStream(new BufferedReader(new StringReader(failed)), 0))
                .isInstanceOf(ServerException.class)
                .hasMessageContaining("http://bench.test:1").hasMessageContaining("504").hasMessageContaining("deadline of 5 s exceeded");
        assertThatThrownBy(() -> target(new AtomicLong()).readStream(new BufferedReader(new StringReader(CHUNK.formatted("x"))), 0))
                .isInstanceOf(ServerException.class).hasMessageContaining("before data: [DONE]");
    }

    @Test
    void coldStartComesFromTheServersGaugesAndIsUnknownWithoutThem() {
        String metrics = """
                # HELP inferless_cold_start_seconds Cold start by phase
                # TYPE inferless_cold_start_seconds gauge
                inferless_cold_start_seconds{phase="initialize"} 2.5
                inferless_cold_start_seconds{phase="runtime_start"} 1.25
                inferless_cold_start_seconds{phase="total"} 4.75
                inferless_cold_start_seconds{phase="warmup"} 1.0
                inferless_model_ready 1.0
                inferless_jvm_peak_heap_bytes 2.68435456E8
                inferless_process_peak_resident_memory_bytes 1.073741824E9
                """;
        Benchmark.Footprint f = ServerMetrics.footprint(metrics);
        assertThat(f.loadSeconds()).isEqualTo(3.75);
        assertThat(f.firstInferenceSeconds()).isEqualTo(1.0);
        assertThat(f.peakHeapBytes()).isEqualTo(256L << 20);
        assertThat(f.peakRssBytes()).isEqualTo(1L << 30);
        Benchmark.Footprint none = ServerMetrics.footprint("inferless_model_ready 1.0\n");
        assertThat(none.loadSeconds()).isEqualTo(-1);
        assertThat(none.firstInferenceSeconds()).isEqualTo(-1);
        assertThat(none.peakHeapBytes()).isEqualTo(-1);
        assertThat(none.peakRssBytes()).isEqualTo(-1);

        BenchReport report = new BenchReport("m", "n/a", "via HTTP", "server", "2026-11-27", 10, 1, 16, true,
                -1, -1, 0.5, 32, 16, 20, 35, -1, -1);
        assertThat(report.coldStartSeconds()).isEqualTo(-1);
        assertThat(report.tableRow()).contains("| 16 | n/a | 20 | heap n/a, RSS n/a |");
    }

    @Test
    void anUnreachableServerIsAnErrorNamingItsUrl(@TempDir Path tmp) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        URI url = URI.create("http://127.0.0.1:" + port);
        assertThatThrownBy(() -> ServerTarget.connect(url, System::nanoTime))
                .isInstanceOf(ServerException.class)
                .hasMessageContaining("cannot reach the server at http://127.0.0.1:" + port).hasMessageContaining("GET /v1/models");

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream original = System.err;
        int exit;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            exit = new CommandLine(new BenchCommand()).execute("--url", url.toString(), "--out", tmp.toString());
        } finally {
            System.setErr(original);
        }
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("error: cannot reach the server at " + url);
    }

    @Test
    void aRefusedRequestCarriesTheServersMessage() throws Exception {
        HttpServer stub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        stub.createContext("/v1/models", ex -> answer(ex, 200, "{\"object\": \"list\", \"data\": [{\"id\": \"tiny\"}]}"));
        stub.createContext("/v2/models/tiny", ex -> answer(ex, 200,
                "{\"name\": \"tiny\", \"inputs\": [{\"name\": \"prompt\"}, {\"name\": \"ignore_eos\"}]}"));
        stub.createContext("/v1/completions", ex -> answer(ex, 400, "{\"error\": \"max_tokens must be at most 4096\"}"));
        stub.start();
        try {
            ServerTarget server = ServerTarget.connect(URI.create("http://127.0.0.1:" + stub.getAddress().getPort() + "/"),
                    System::nanoTime);
            assertThat(server.model()).isEqualTo("tiny");
            assertThat(server.takesIgnoreEos()).isTrue();
            assertThatThrownBy(() -> server.generate(Benchmark.request("def f():", 8192, true)))
                    .isInstanceOf(ServerException.class)
                    .hasMessageContaining("answered 400 to POST /v1/completions: max_tokens must be at most 4096");
        } finally {
            stub.stop(0);
        }
    }

    @Test
    void urlIsAThirdExclusiveSource() {
        BenchCommand cmd = new BenchCommand();
        new CommandLine(cmd).parseArgs("--url", "http://127.0.0.1:8080", "--runs", "1");
        assertThat(cmd.source.url).isEqualTo(URI.create("http://127.0.0.1:8080"));
        assertThat(new CommandLine(new BenchCommand()).execute("--url", "http://a:1", "--model", "b")).isNotZero();
        assertThatThrownBy(() -> ServerTarget.connect(URI.create("ftp://a:1"), System::nanoTime))
                .hasMessageContaining("--url must be http://host:port");
    }

    private static void answer(com.sun.net.httpserver.HttpExchange ex, int status, String json) throws java.io.IOException {
        ex.getRequestBody().readAllBytes();
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (var out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
