package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** More slow senders than the server has threads: the health routes and other clients are still served, and the slow ones get 408. */
class SlowClientsTest {

    /** Over Jetty's 250 threads: blocking body reads would take them all. */
    static final int SLOW_CLIENTS = 300;

    @TempDir
    Path tmp;

    @Test
    void aFloodOfSlowBodiesStarvesNobodyAndEndsIn408() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try (TestServer server = TestServer.start(TestRepos.controllable(tmp, ControllableModel.class),
                "server.body_timeout_s=4")) {
            try {
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    Socket s = new Socket("127.0.0.1", server.runtime.port());
                    s.setSoTimeout(30_000);
                    s.getOutputStream().write(("POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 1000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                    slow.add(s);
                }
                // Generous against a loaded CI machine, far below the 4 s the slow bodies hold on for.
                Duration prompt = Duration.ofSeconds(2);
                HttpResponse<String> live = server.send(server.request("/v2/health/live").timeout(prompt).GET().build());
                assertThat(live.statusCode()).isEqualTo(200);
                HttpResponse<String> infer = server.send(server.request("/infer").timeout(prompt)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"meanwhile\"}")).build());
                assertThat(infer.statusCode()).as(infer.body()).isEqualTo(200);
                for (Socket s : slow) {
                    MalformedHttpTest.assertJsonError(RawHttp.read(s.getInputStream()), 408);
                }
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
        }
    }
}
