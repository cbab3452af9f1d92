package dev.inferless.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A closed-loop load generator for a running server: at each concurrency level, that many clients
 * send streaming {@code /v1/completions} requests back to back for a fixed number of requests each,
 * with the prompts of a {@link LoadPrompts} mode (the bench prompts, a shared long prefix, or a
 * distinct long prompt each). Reports aggregate output tokens/s (usage from the final chunk over the
 * level's wall time), mean prompt tokens, p50/p99 end-to-end latency, p50/p99 time to first token,
 * p99 and largest gap between streamed chunks (inter-token latency: a long prompt's prefill stalling
 * running streams shows there), and errors (non-200 answers, error events, broken streams); optionally a PNG plot.
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true,
        description = "Load-test a running server: concurrency levels against /v1/completions (streaming).")
public final class LoadTest implements Callable<Integer> {

    private static final class Json { // built when the command runs, not with the command line (ServePreload)
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    @Option(names = "--url", description = "Server base URL (default: ${DEFAULT-VALUE})")
    String url = "http://127.0.0.1:8080";

    @Option(names = "--concurrency", split = ",", description = "Concurrency levels (default: 1,4,16,64)")
    List<Integer> levels = List.of(1, 4, 16, 64);

    @Option(names = "--requests-per-client", description = "Requests each client sends per level (default: ${DEFAULT-VALUE})")
    int requestsPerClient = 4;

    @Option(names = "--max-tokens", description = "max_tokens of each request (default: ${DEFAULT-VALUE})")
    int maxTokens = 64;

    @Option(names = "--temperature", description = "temperature of each request (default: ${DEFAULT-VALUE})")
    double temperature = 1.0;

    @Option(names = "--timeout-s", description = "Per-request client timeout (default: ${DEFAULT-VALUE})")
    int timeoutS = 600;

    @Option(names = "--mode", description = "Prompts: bench, shared-prefix (one long context, distinct tails) or"
            + " long-prompt (a distinct long prompt each) (default: ${DEFAULT-VALUE})")
    String mode = "bench";

    @Option(names = "--prompt-tokens", description = "Approximate prompt length of the shared-prefix and long-prompt"
            + " modes (default: ${DEFAULT-VALUE})")
    int promptTokens = 2000;

    @Option(names = "--out", description = "Also write the Markdown table to this file")
    Path out;

    @Option(names = "--plot", description = "Also plot tokens/s and TTFT against concurrency to this PNG file")
    Path plot;

    /** One level's figures. */
    record LevelResult(int concurrency, int requests, int errors, double wallS, long outputTokens, double tokensPerS,
                       double meanPromptTokens, double p50LatencyS, double p99LatencyS, double p50TtftS, double p99TtftS,
                       double p99ItlS, double maxItlS) {}

    /** One request; {@code itlS}: the gaps between its streamed chunks after the first (inter-token latency). */
    record Sample(boolean ok, double latencyS, double ttftS, long outputTokens, long promptTokens, List<Double> itlS) {
        static final Sample FAILED = new Sample(false, 0, 0, 0, 0, List.of());
    }

    @Override
    public Integer call() throws Exception {
        IntFunction<String> prompts;
        try {
            prompts = LoadPrompts.parse(mode).prompts(promptTokens);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            return 2;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<LevelResult> results = new ArrayList<>();
        for (int c : levels) {
            LevelResult r = level(client, prompts, c);
            results.add(r);
            System.err.printf("concurrency %d: %.1f tokens/s, p50 %.3f s, p99 %.3f s, %d errors%n", c, r.tokensPerS(),
                    r.p50LatencyS(), r.p99LatencyS(), r.errors());
        }
        String table = markdown(results);
        System.out.print(table);
        if (out != null) {
            Files.writeString(out, table);
        }
        if (plot != null) {
            LoadPlot.write(results, "loadtest --mode " + mode + (mode.equals("bench") ? "" : " --prompt-tokens " + promptTokens)
                    + ", max_tokens " + maxTokens, plot);
        }
        return results.stream().allMatch(r -> r.errors() == 0) ? 0 : 1;
    }

    private LevelResult level(HttpClient client, IntFunction<String> prompts, int concurrency) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        AtomicInteger next = new AtomicInteger();
        List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        try {
            List<Future<?>> clients = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                clients.add(pool.submit(() -> {
                    for (int k = 0; k < requestsPerClient; k++) {
                        samples.add(request(client, prompts.apply(next.getAndIncrement())));
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return summarize(concurrency, samples, (System.nanoTime() - start) / 1e9);
    }

    static LevelResult summarize(int concurrency, List<Sample> samples, double wallS) {
        List<Double> latencies = new ArrayList<>();
        List<Double> ttfts = new ArrayList<>();
        List<Double> itls = new ArrayList<>();
        long tokens = 0, promptTokens = 0;
        int errors = 0;
        for (Sample s : samples) {
            if (!s.ok()) {
                errors++;
                continue;
            }
            latencies.add(s.latencyS());
            ttfts.add(s.ttftS());
            itls.addAll(s.itlS());
            tokens += s.outputTokens();
            promptTokens += s.promptTokens();
        }
        int ok = samples.size() - errors;
        return new LevelResult(concurrency, samples.size(), errors, wallS, tokens, tokens / wallS,
                ok == 0 ? 0 : (double) promptTokens / ok, percentile(latencies, 50), percentile(latencies, 99), percentile(ttfts, 50),
                percentile(ttfts, 99), percentile(itls, 99), percentile(itls, 100));
    }

    /** Nearest-rank percentile; 0 for no values. */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return 0;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    private Sample request(HttpClient client, String prompt) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("prompt", prompt);
        body.put("max_tokens", maxTokens);
        body.put("temperature", temperature);
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        long start = System.nanoTime();
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/v1/completions"))
                    .timeout(Duration.ofSeconds(timeoutS)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body))).build();
            HttpResponse<java.io.InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                r.body().close();
                return Sample.FAILED;
            }
            double ttft = -1;
            long last = 0;
            List<Double> gaps = new ArrayList<>();
            long tokens = -1, promptTokens = 0;
            boolean done = false;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith("event: error")) {
                        return Sample.FAILED;
                    }
                    if (!line.startsWith("data: ")) {
                        continue;
                    }
                    String data = line.substring(6);
                    if (data.equals("[DONE]")) {
                        done = true;
                        break;
                    }
                    JsonNode chunk = Json.MAPPER.readTree(data);
                    long now = System.nanoTime();
                    if (ttft < 0) {
                        ttft = (now - start) / 1e9;
                    } else if (!chunk.hasNonNull("usage")) { // the usage chunk carries no token
                        gaps.add((now - last) / 1e9);
                    }
                    last = now;
                    if (chunk.hasNonNull("usage")) {
                        tokens = chunk.get("usage").get("completion_tokens").asLong();
                        promptTokens = chunk.get("usage").path("prompt_tokens").asLong();
                    }
                }
            }
            double latency = (System.nanoTime() - start) / 1e9;
            return done && tokens >= 0 ? new Sample(true, latency, ttft, tokens, promptTokens, gaps) : Sample.FAILED;
        } catch (Exception e) {
            return Sample.FAILED;
        }
    }

    static String markdown(List<LevelResult> results) {
        StringBuilder b = new StringBuilder();
        b.append("| Concurrency | Requests | Errors | Output tokens | Tokens/s (aggregate) | Prompt tokens (mean)"
                + " | p50 latency (s) | p99 latency (s) | p50 TTFT (s) | p99 TTFT (s) | p99 ITL (s) | max ITL (s) |\n");
        b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (LevelResult r : results) {
            b.append(String.format("| %d | %d | %d | %d | %.1f | %.0f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |%n",
                    r.concurrency(), r.requests(), r.errors(), r.outputTokens(), r.tokensPerS(), r.meanPromptTokens(),
                    r.p50LatencyS(), r.p99LatencyS(), r.p50TtftS(), r.p99TtftS(), r.p99ItlS(), r.maxItlS()));
        }
        return b.toString();
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadTest()).execute(args));
    }
}
