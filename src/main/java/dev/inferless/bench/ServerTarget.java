package dev.inferless.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.llm.engine.GenerationRequest;
import dev.inferless.llm.engine.GenerationResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A running server as the benchmark's model (what a user sees): one bench request is one streaming
 * {@code POST /v1/completions}, timed by this client, its output tokens from the final chunk's
 * usage. What the server serves comes from {@code GET /v1/models}, whether it takes
 * {@code ignore_eos} from its KServe model metadata, its cold start from {@code GET /metrics}.
 */
public final class ServerTarget {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** One completion of max_tokens on a slow host: generous, but not forever. */
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(30);

    private final String base;
    private final HttpClient client;
    private final LongSupplier nanoClock;
    private final String model;
    private final boolean takesIgnoreEos;

    ServerTarget(String base, HttpClient client, LongSupplier nanoClock, String model, boolean takesIgnoreEos) {
        this.base = base;
        this.client = client;
        this.nanoClock = nanoClock;
        this.model = model;
        this.takesIgnoreEos = takesIgnoreEos;
    }

    /** Asks the server what it serves; a server that cannot be reached or lists no model is an error naming the URL. */
    public static ServerTarget connect(URI url, LongSupplier nanoClock) {
        String base = url.toString().replaceAll("/+$", "");
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
            throw new IllegalArgumentException("--url must be http://host:port or https://host:port, got " + url);
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
        ServerTarget probe = new ServerTarget(base, client, nanoClock, "", false);
        HttpResponse<String> models = probe.get("/v1/models");
        if (models.statusCode() != 200) throw probe.refused("GET /v1/models", models.statusCode(), models.body());
        String model = probe.json(models.body(), "GET /v1/models").path("data").path(0).path("id").asText("");
        if (model.isEmpty()) throw new ServerException("the server at " + base + " lists no model at GET /v1/models");
        // Another server may have no KServe metadata: then ignore_eos is not sent.
        String metadataPath = "/v2/models/" + URLEncoder.encode(model, StandardCharsets.UTF_8).replace("+", "%20");
        HttpResponse<String> metadata = probe.get(metadataPath);
        boolean ignoreEos = false;
        if (metadata.statusCode() == 200) {
            for (JsonNode input : probe.json(metadata.body(), "GET " + metadataPath).path("inputs")) {
                ignoreEos |= input.path("name").asText().equals("ignore_eos");
            }
        }
        return new ServerTarget(base, client, nanoClock, model, ignoreEos);
    }

    public String model() {
        return model;
    }

    public boolean takesIgnoreEos() {
        return takesIgnoreEos;
    }

    /** For {@link Benchmark}: quantization and device are the server's to know; its cold start is read after the runs. */
    public Benchmark.Loaded loaded() {
        return new Benchmark.Loaded(this::generate, "n/a", "via HTTP", () -> {
            HttpResponse<String> metrics = get("/metrics");
            return ServerMetrics.footprint(metrics.statusCode() == 200 ? metrics.body() : "");
        });
    }

    GenerationResult generate(GenerationRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("prompt", request.prompt());
        body.put("max_tokens", request.maxTokens());
        body.put("temperature", request.sampling().temperature());
        body.put("top_p", request.sampling().topP());
        // Fields at their neutral value stay out, so a server without them still answers.
        if (request.sampling().topK() > 0) body.put("top_k", request.sampling().topK());
        if (request.sampling().repetitionPenalty() != 1.0) body.put("repetition_penalty", request.sampling().repetitionPenalty());
        if (request.sampling().presencePenalty() != 0) body.put("presence_penalty", request.sampling().presencePenalty());
        if (request.sampling().frequencyPenalty() != 0) body.put("frequency_penalty", request.sampling().frequencyPenalty());
        if (request.seed() != null) body.put("seed", request.seed());
        if (!request.stop().isEmpty()) body.put("stop", request.stop());
        if (request.ignoreEos()) body.put("ignore_eos", true);
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        String json;
        try {
            json = JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the request body", e);
        }
        long start = nanoClock.getAsLong();
        HttpResponse<InputStream> r = send(HttpRequest.newBuilder(URI.create(base + "/v1/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)),
                HttpResponse.BodyHandlers.ofInputStream(), "POST /v1/completions");
        if (r.statusCode() != 200) {
            String answer;
            try (InputStream b = r.body()) {
                answer = new String(b.readNBytes(4000), StandardCharsets.UTF_8);
            } catch (IOException e) {
                answer = "";
            }
            throw refused("POST /v1/completions", r.statusCode(), answer);
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            return readStream(in, start);
        } catch (IOException e) {
            throw new ServerException("the server at " + base + " broke off the stream of POST /v1/completions: " + reason(e));
        }
    }

    /**
     * The Server-Sent Events of one completion, up to {@code data: [DONE]}: the text pieces, the
     * first event's time (time to first token, from {@code start}), usage and finish reason from
     * the final chunk. An error event or a stream cut short is an error.
     */
    GenerationResult readStream(BufferedReader in, long start) throws IOException {
        StringBuilder text = new StringBuilder();
        long first = -1;
        JsonNode usage = null;
        String finishReason = null;
        boolean errorEvent = false;
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("event: error")) {
                errorEvent = true;
                continue;
            }
            if (!line.startsWith("data: ")) continue;
            String data = line.substring(6);
            if (errorEvent) {
                JsonNode error = json(data, "POST /v1/completions");
                throw new ServerException("the server at " + base + " failed POST /v1/completions mid-stream (status "
                        + error.path("status").asText("?") + "): " + error.path("error").asText(data));
            }
            if (data.equals("[DONE]")) {
                if (usage == null) {
                    throw new ServerException("the server at " + base + " ended the stream of POST /v1/completions without usage");
                }
                long end = nanoClock.getAsLong();
                int outputTokens = usage.path("completion_tokens").asInt();
                double decodeSeconds = (end - first) / 1e9;
                return new GenerationResult(text.toString(), usage.path("prompt_tokens").asInt(), outputTokens,
                        finishReason, (first - start) / 1e6,
                        outputTokens > 1 && decodeSeconds > 0 ? (outputTokens - 1) / decodeSeconds : 0);
            }
            JsonNode chunk = json(data, "POST /v1/completions");
            if (chunk.has("error")) { // OpenAI's form of a failure mid-stream
                throw new ServerException("the server at " + base + " failed POST /v1/completions mid-stream: "
                        + chunk.path("error").path("message").asText(data));
            }
            if (first < 0) first = nanoClock.getAsLong();
            JsonNode choice = chunk.path("choices").path(0);
            text.append(choice.path("text").asText(""));
            if (!choice.path("finish_reason").isMissingNode() && !choice.path("finish_reason").isNull()) {
                finishReason = choice.path("finish_reason").asText();
            }
            if (chunk.hasNonNull("usage")) usage = chunk.get("usage");
        }
        throw new ServerException("the server at " + base + " ended the stream of POST /v1/completions before data: [DONE]");
    }

    private HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), HttpResponse.BodyHandlers.ofString(), "GET " + path);
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler, String what) {
        try {
            return client.send(request.timeout(REQUEST_TIMEOUT).build(), handler);
        } catch (IOException e) {
            throw new ServerException("cannot reach the server at " + base + " (" + what + "): " + reason(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServerException("interrupted while waiting for the server at " + base + " (" + what + ")");
        }
    }

    /** A non-200 answer, with the server's own message ({"error": "..."} here, else the body as it is). */
    private ServerException refused(String what, int status, String body) {
        String message = body.strip();
        try {
            JsonNode error = JSON.readTree(body).path("error");
            // OpenAI's shape nests it: {"error": {"message": "..."}}
            JsonNode text = error.isObject() ? error.path("message") : error;
            if (text.isTextual()) message = text.asText();
        } catch (IOException notJson) {
            // the body as it is
        }
        return new ServerException("the server at " + base + " answered " + status + " to " + what
                + (message.isEmpty() ? "" : ": " + message));
    }

    private JsonNode json(String text, String what) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new ServerException("the server at " + base + " answered " + what + " with something other than JSON: "
                    + text.substring(0, Math.min(text.length(), 200)));
        }
    }

    /** Connection errors often have no message of their own (ConnectException). */
    private static String reason(IOException e) {
        String m = e.getMessage() != null ? e.getMessage() : e.getCause() != null ? e.getCause().getMessage() : null;
        return e.getClass().getSimpleName() + (m != null ? ": " + m : "");
    }
}
