package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every route and every request error, against one real server on an ephemeral port. */
class HttpApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String V2_INFER = "/v2/models/controllable/infer";

    private static Path tmp;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        tmp = Files.createTempDirectory("http-api-test");
        server = TestServer.start(TestRepos.controllable(tmp, ControllableModel.class), "server.max_body_bytes=2048");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void serverMetadataAndHealth() throws Exception {
        JsonNode meta = ok(server.get("/v2"));
        assertThat(meta.get("name").asText()).isEqualTo("inferless-runtime");
        assertThat(meta.has("version")).isTrue();
        assertThat(ok(server.get("/v2/health/live")).get("live").asBoolean()).isTrue();
        assertThat(ok(server.get("/v2/health/ready")).get("ready").asBoolean()).isTrue();
        assertThat(ok(server.get("/v2/models/controllable/ready")).get("ready").asBoolean()).isTrue();
    }

    @Test
    void modelNameOverridesTheDirectoryName() throws Exception {
        Path repo = TestRepos.controllable(Files.createTempDirectory("named-model"), ControllableModel.class);
        try (TestServer named = TestServer.start(repo, "model.name=codellama")) {
            assertThat(ok(named.get("/v2/models/codellama")).get("name").asText()).isEqualTo("codellama");
            assertThat(named.get("/v2/models/controllable").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void modelMetadataListsTheSchema() throws Exception {
        JsonNode meta = ok(server.get("/v2/models/controllable"));
        assertThat(meta.get("name").asText()).isEqualTo("controllable");
        assertThat(meta.get("inputs").get(0).get("name").asText()).isEqualTo("prompt");
        assertThat(meta.get("inputs").get(0).get("datatype").asText()).isEqualTo("BYTES");
        assertThat(meta.get("inputs").get(6).get("shape").toString()).isEqualTo("[2,-1]");
        assertThat(meta.get("outputs").get(0).get("name").asText()).isEqualTo("generated_result");
        assertThat(ok(server.get("/v2/models/controllable/versions/1")).get("name").asText()).isEqualTo("controllable");
    }

    @Test
    void kserveInferEchoesIdAndReturnsTypedOutputs() throws Exception {
        String body = "{\"id\": \"req-7\", \"parameters\": {}, \"inputs\": ["
                + "{\"name\": \"prompt\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"def fib(n):\"]},"
                + "{\"name\": \"numbers\", \"shape\": [3], \"datatype\": \"FP32\", \"data\": [1.5, 2, 4.25]},"
                + "{\"name\": \"small\", \"shape\": [2, 2], \"datatype\": \"UINT8\", \"data\": [[1, 2], [3, 4]]}]}";
        for (String path : new String[] {V2_INFER, "/v2/models/controllable/versions/1/infer"}) {
            JsonNode r = ok(server.post(path, body));
            assertThat(r.get("model_name").asText()).isEqualTo("controllable");
            assertThat(r.get("id").asText()).isEqualTo("req-7");
            JsonNode outputs = r.get("outputs");
            assertThat(outputs.get(0).toString())
                    .isEqualTo("{\"name\":\"generated_result\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"def fib(n):\"]}");
            assertThat(outputs.get(1).get("name").asText()).isEqualTo("input_types");
            assertThat(outputs.get(1).get("data").toString())
                    .isEqualTo("[\"prompt:String\",\"numbers:ArrayList\",\"small:ArrayList\"]");
            assertThat(outputs.get(2).get("datatype").asText()).isEqualTo("FP64");
            assertThat(outputs.get(2).get("data").get(0).asDouble()).isEqualTo(7.75);
        }
    }

    @Test
    void simpleInferTakesOneFieldPerInput() throws Exception {
        JsonNode r = ok(server.post("/infer", "{\"prompt\": \"hello\", \"numbers\": [1, 2], \"sleep_ms\": 1}"));
        assertThat(r.get("generated_result").asText()).isEqualTo("hello");
        assertThat(r.get("input_types").toString()).isEqualTo("[\"prompt:String\",\"numbers:ArrayList\",\"sleep_ms:Long\"]");
        assertThat(r.get("sum").asDouble()).isEqualTo(3.0);
    }

    @Test
    void badRequestsAre400NamingTheField() throws Exception {
        assertError(server.post("/infer", "{\"prompt\": "), 400, "malformed JSON");
        assertError(server.post(V2_INFER, "not json"), 400, "malformed JSON");
        assertError(server.post(V2_INFER, "[1, 2]"), 400, "JSON object");
        assertError(server.post(V2_INFER, "{}"), 400, "inputs: required");
        assertError(server.post(V2_INFER, "{\"inputs\": [{\"name\": \"prompt\", \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}"),
                400, "inputs[0] ('prompt').shape");
        assertError(server.post(V2_INFER, "{\"inputs\": [{\"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"a\"]}]}"),
                400, "inputs[0].name");
        assertError(server.post(V2_INFER, "{\"inputs\": []}"), 400, "missing required input 'prompt'");
        assertError(server.post("/infer", "{\"numbers\": [1]}"), 400, "missing required input 'prompt'");
        assertError(server.post(V2_INFER, v2("prompt", "[1]", "INT64", "[5]")), 400, "input 'prompt': datatype INT64");
        assertError(server.post(V2_INFER, v2("prompt", "[2]", "BYTES", "[\"a\", \"b\"]")), 400, "input 'prompt': shape [2]");
        assertError(server.post("/infer", "{\"prompt\": 5}"), 400, "input 'prompt': expected STRING");
        assertError(server.post("/infer", "{\"prompt\": \"a\", \"temperature\": 0.5}"), 400, "unknown input 'temperature'");
        assertError(server.post("/infer", "{\"prompt\": {\"a\": 1}}"), 400, "input 'prompt'");
    }

    @Test
    void unknownModelsVersionsAndPathsAre404() throws Exception {
        assertError(server.get("/v2/models/llama"), 404, "unknown model 'llama'");
        assertError(server.get("/v2/models/llama/ready"), 404, "unknown model 'llama'");
        assertError(server.post("/v2/models/llama/infer", v2("prompt", "[1]", "BYTES", "[\"a\"]")), 404, "unknown model");
        assertError(server.post("/v2/models/controllable/versions/2/infer", v2("prompt", "[1]", "BYTES", "[\"a\"]")), 404, "version '2'");
        assertError(server.get("/nowhere"), 404, "not found");
    }

    @Test
    void bodiesOverTheLimitAre413() throws Exception {
        String big = "{\"prompt\": \"" + "x".repeat(4096) + "\"}";
        assertError(server.post("/infer", big), 413, "too large");
        // Without a Content-Length (chunked), the limit holds while reading.
        java.net.http.HttpRequest chunked = server.request("/infer").POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream(big.getBytes(java.nio.charset.StandardCharsets.UTF_8)))).build();
        assertError(server.send(chunked), 413, "too large");
        assertThat(ok(server.post("/infer", "{\"prompt\": \"small\"}")).get("generated_result").asText()).isEqualTo("small");
    }

    @Test
    void aFailingModelIs500AndTheServerKeepsServing() throws Exception {
        assertError(server.post("/infer", "{\"prompt\": \"a\", \"fail\": true}"), 500, "model exploded on purpose");
        assertError(server.post("/infer", "{\"prompt\": \"a\", \"bad_output\": true}"), 500, "output 'generated_result'");
        assertThat(ok(server.post("/infer", "{\"prompt\": \"after\"}")).get("generated_result").asText()).isEqualTo("after");
    }

    @Test
    void metricsCountRequestsAndExportColdStartAndModelCounters() throws Exception {
        ok(server.post("/infer", "{\"prompt\": \"m\"}"));
        server.post("/infer", "{\"prompt\": 1}");
        String text = server.get("/metrics").body();
        assertThat(value(text, "inferless_http_requests_total{route=\"/infer\",status=\"200\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(text, "inferless_http_requests_total{route=\"/infer\",status=\"400\"}")).isGreaterThanOrEqualTo(1);
        assertThat(value(text, "inferless_http_request_duration_seconds_count{route=\"/infer\"}")).isGreaterThanOrEqualTo(2);
        assertThat(value(text, "inferless_requests_in_flight")).isEqualTo(0);
        assertThat(value(text, "inferless_requests_queued")).isEqualTo(0);
        assertThat(value(text, "inferless_cold_start_seconds{phase=\"warmup\"}")).isGreaterThan(0);
        assertThat(value(text, "inferless_cold_start_seconds{phase=\"total\"}"))
                .isGreaterThanOrEqualTo(value(text, "inferless_cold_start_seconds{phase=\"initialize\"}"));
        assertThat(value(text, "inferless_model_ready")).isEqualTo(1);
        // 3 per inference: the warm-up and at least the request above.
        assertThat(value(text, "test_tokens_total")).isGreaterThanOrEqualTo(6);
    }

    static String v2(String name, String shape, String datatype, String data) {
        return "{\"inputs\": [{\"name\": \"" + name + "\", \"shape\": " + shape + ", \"datatype\": \"" + datatype
                + "\", \"data\": " + data + "}]}";
    }

    static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    static void assertError(HttpResponse<String> r, int status, String message) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        JsonNode error = JSON.readTree(r.body()).get("error");
        // OpenAI's routes answer OpenAI's error object, the others {"error": "..."}
        assertThat(error.isObject() ? error.get("message").asText() : error.asText()).contains(message);
    }

    static double value(String metrics, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        assertThat(m.find()).as("series %s in\n%s", series, metrics).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
