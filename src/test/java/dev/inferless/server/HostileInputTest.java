package dev.inferless.server;

import static dev.inferless.server.HttpApiTest.assertError;

import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bodies that are well-formed HTTP and almost well-formed JSON: refused with a 400 naming the problem, never repaired or a 500. */
class HostileInputTest {

    @TempDir
    static Path tmp;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(TestRepos.controllable(tmp, ControllableModel.class));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void anOverlongUtf8SlashIsRefusedNotRepaired() throws Exception {
        assertError(postBytes("/infer", bytes("{\"prompt\": \"a", 0xc0, 0xaf, "b\"}")), 400, "not valid UTF-8 (at byte 13)");
    }

    @Test
    void bytesPastTheLastCodePointAreRefused() throws Exception {
        assertError(postBytes("/infer", bytes("{\"prompt\": \"", 0xf5, 0x80, 0x80, 0x80, "\"}")), 400, "not valid UTF-8");
        assertError(postBytes("/v1/completions", bytes("{\"prompt\": \"", 0xed, 0xa0, 0x80, "\"}")), 400, "not valid UTF-8");
        assertError(postBytes("/v2/models/controllable/infer", bytes("{\"inputs\": [{\"name\": \"", 0xff, "\"}]}")), 400,
                "not valid UTF-8");
    }

    @Test
    void aKServeShapeWhoseElementCountOverflowsIs400() throws Exception {
        String body = HttpApiTest.v2("small", "[2, 4611686018427387904]", "UINT8", "[1, 2]");
        assertError(server.post("/v2/models/controllable/infer", body), 400, "more elements than a tensor can hold");
    }

    private static java.net.http.HttpResponse<String> postBytes(String path, byte[] body) throws Exception {
        return server.send(server.request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** Strings as UTF-8, integers as raw bytes. */
    private static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String s) {
                out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            } else {
                out.write((Integer) p);
            }
        }
        return out.toByteArray();
    }
}
