package dev.inferless.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `serve` in a child JVM: SIGTERM/SIGINT drain in-flight requests, finalize once and exit 0. */
class SignalDrainTest {

    private static final long WAIT_S = 90;
    private static final Pattern READY = Pattern.compile("ready on port (\\d+)");

    @TempDir
    Path tmp;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    private final List<String> output = new CopyOnWriteArrayList<>();
    private Process process;
    private Thread reader;

    @AfterEach
    void killLeftovers() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
        System.out.println("child output:\n" + String.join("\n", output));
    }

    @Test
    void sigtermDrainsTheInFlightRequestThenFinalizesOnceAndExitsZero() throws Exception {
        int port = startServe();
        Path release = tmp.resolve("release");
        CompletableFuture<HttpResponse<String>> inFlight = post(port, "{\"prompt\": \"drained\", \"hold\": \"" + release + "\"}");
        waitFor(() -> Files.exists(Path.of(release + ".started")), "the request to reach the model");

        signal("TERM"); // not Process.destroy(): it also closes our end of the child's output
        waitFor(() -> get(port, "/v2/health/ready") == 503, "readiness to drop");
        assertThat(post(port, "{\"prompt\": \"late\"}").get(WAIT_S, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
        assertThat(process.isAlive()).isTrue();

        Files.writeString(release, "");
        HttpResponse<String> drained = inFlight.get(WAIT_S, TimeUnit.SECONDS);
        assertThat(drained.statusCode()).isEqualTo(200);
        assertThat(drained.body()).contains("\"generated_result\":\"drained\"");
        assertThat(process.waitFor(WAIT_S, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join("\n", output)).isEqualTo(0);
        assertThat(Files.readAllLines(tmp.resolve("finalize.log"))).containsExactly("finalize");
        assertThat(allOutput()).contains("received SIGTERM");
    }

    @Test
    void sigintAlsoFinalizesOnceAndExitsZero() throws Exception {
        startServe();
        signal("INT");
        assertThat(process.waitFor(WAIT_S, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join("\n", output)).isEqualTo(0);
        assertThat(Files.readAllLines(tmp.resolve("finalize.log"))).containsExactly("finalize");
        assertThat(allOutput()).contains("received SIGINT");
    }

    @Test
    void aSecondSigtermDuringTheDrainExitsAtOnceWith143() throws Exception {
        int port = startServe();
        Path release = tmp.resolve("release");
        CompletableFuture<HttpResponse<String>> inFlight = post(port, "{\"prompt\": \"held\", \"hold\": \"" + release + "\"}");
        waitFor(() -> Files.exists(Path.of(release + ".started")), "the request to reach the model");
        signal("TERM");
        waitFor(() -> get(port, "/v2/health/ready") == 503, "the drain to start");
        signal("TERM");
        assertThat(process.waitFor(WAIT_S, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join("\n", output)).isEqualTo(143);
        assertThat(tmp.resolve("finalize.log")).doesNotExist();
        assertThat(allOutput()).contains("received SIGTERM again during the shutdown; exiting now with status 143");
        assertThat(inFlight).failsWithin(WAIT_S, TimeUnit.SECONDS);
    }

    /** Starts `serve` on a free port and returns that port once the child reports ready. */
    private int startServe() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "--model", repo.toString(), "--port", "0", "--set", "server.host=127.0.0.1",
                "--set", "model.marker_dir=" + tmp)
                .redirectErrorStream(true).start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    output.add(line);
                    Matcher m = READY.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
                port.completeExceptionally(new AssertionError("serve exited before ready:\n" + String.join("\n", output)));
            } catch (Exception e) {
                port.completeExceptionally(e);
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
        return port.get(WAIT_S, TimeUnit.SECONDS);
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
        assertThat(kill.waitFor(WAIT_S, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    /** Everything the child wrote, once it exited and its output was read to the end. */
    private String allOutput() throws InterruptedException {
        reader.join(TimeUnit.SECONDS.toMillis(WAIT_S));
        return String.join("\n", output);
    }

    private CompletableFuture<HttpResponse<String>> post(int port, String body) {
        return client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/infer"))
                .timeout(Duration.ofSeconds(WAIT_S)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private int get(int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(WAIT_S)).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitFor(Condition condition, String what) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
        while (!condition.holds()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
