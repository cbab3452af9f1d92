package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests Jetty itself refuses, or that break off mid-body: a 4xx with a JSON error body, never an HTML page or an empty 500. */
class MalformedHttpTest {

    private static final int WAIT_MS = 20_000;

    @TempDir
    static Path tmp;
    private static TestServer server;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(TestRepos.controllable(tmp, ControllableModel.class), "server.body_timeout_s=1");
        port = server.runtime.port();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aBadChunkedEncodingIs400() throws Exception {
        RawHttp.Answer a = RawHttp.send(port, post("Transfer-Encoding: chunked\r\n") + "ZZ\r\n{}\r\n0\r\n\r\n", WAIT_MS);
        assertJsonError(a, 400);
    }

    @Test
    void aBodyShorterThanItsContentLengthIs408() throws Exception {
        RawHttp.Answer a = RawHttp.send(port, post("Content-Length: 100\r\n") + "{\"prompt\": \"a", WAIT_MS);
        assertJsonError(a, 408);
        assertThat(a.json().get("error").asText()).contains("server.body_timeout_s");
    }

    @Test
    void aGarbageRequestLineIs400() throws Exception {
        assertJsonError(RawHttp.send(port, "NOT AN HTTP REQUEST\r\n\r\n", WAIT_MS), 400);
    }

    @Test
    void anOverlongUriIs414() throws Exception {
        assertJsonError(RawHttp.send(port, "GET /v2/" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", WAIT_MS), 414);
    }

    @Test
    void oversizedHeadersAre431() throws Exception {
        assertJsonError(RawHttp.send(port, "GET /v2 HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", WAIT_MS), 431);
    }

    @Test
    void anUnknownExpectationIs417() throws Exception {
        assertJsonError(RawHttp.send(port, post("Content-Length: 2\r\nExpect: 200-maybe\r\n") + "{}", WAIT_MS), 417);
    }

    @Test
    void aContentLengthThatIsNotANumberIs400() throws Exception {
        assertJsonError(RawHttp.send(port, post("Content-Length: ten\r\n") + "{}", WAIT_MS), 400);
    }

    @Test
    void theServerStillAnswersAfterwards() throws Exception {
        RawHttp.Answer a = RawHttp.send(port, post("Content-Length: 15\r\nConnection: close\r\n") + "{\"prompt\": \"a\"}", WAIT_MS);
        assertThat(a.status()).as(a.body()).isEqualTo(200);
    }

    private static String post(String headers) {
        return "POST /infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers + "\r\n";
    }

    static void assertJsonError(RawHttp.Answer a, int status) {
        assertThat(a.status()).as(a.head() + "\n\n" + a.body()).isEqualTo(status);
        assertThat(a.isJsonError()).as("a JSON error body:\n" + a.head() + "\n\n" + a.body()).isTrue();
    }
}
