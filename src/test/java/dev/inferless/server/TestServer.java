package dev.inferless.server;

import dev.inferless.app.ServingRuntime;
import dev.inferless.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real runtime on an ephemeral port, and an HTTP client for it. */
final class TestServer implements AutoCloseable {

    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

    final ServingRuntime runtime;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(CLIENT_TIMEOUT).build();

    private TestServer(ServingRuntime runtime) {
        this.runtime = runtime;
    }

    /** Loads and starts listening, without initializing (live, not ready). */
    static TestServer create(Path repo, Map<String, String> env, String... sets) throws Exception {
        List<String> all = new ArrayList<>(List.of("model.repo=" + repo, "server.port=0", "server.host=127.0.0.1"));
        all.addAll(List.of(sets));
        return new TestServer(ServingRuntime.create(ConfigLoader.load(null, env, all), env));
    }

    /** Loads, initializes, warms up: ready. */
    static TestServer start(Path repo, String... sets) throws Exception {
        TestServer s = create(repo, Map.of(), sets);
        s.runtime.initialize();
        return s;
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        return send(request(path, headers).GET().build());
    }

    HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        return send(request(path, headers).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    HttpResponse<String> send(HttpRequest request) throws Exception {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws Exception {
        return client.send(request, handler);
    }

    java.util.concurrent.CompletableFuture<HttpResponse<String>> postAsync(String path, String body) {
        return client.sendAsync(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpRequest.Builder request(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(CLIENT_TIMEOUT);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return b;
    }

    /** An unlabelled metric's value as /metrics exposes it now. */
    double metric(String name) throws Exception {
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + name + " in /metrics");
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + runtime.port() + path);
    }

    @Override
    public void close() {
        runtime.shutdown();
    }
}
