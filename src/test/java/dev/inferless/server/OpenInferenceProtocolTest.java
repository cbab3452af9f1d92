package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import dev.inferless.server.KServeClient.Input;
import dev.inferless.server.KServeClient.Reply;
import dev.inferless.server.KServeClient.Result;
import dev.inferless.server.testmodel.StreamingTestModel;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every Open Inference Protocol route and extension, driven by {@link KServeClient}: the controllable
 * model (prompt BYTES, sleep_ms INT64, numbers FP32[-1], small UINT8[2,-1]; outputs generated_result,
 * input_types, sum FP64) and the streaming model for generate_stream.
 */
class OpenInferenceProtocolTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestServer server;
    private static TestServer streaming;
    private static KServeClient client;
    private static KServeClient streamingClient;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(TestRepos.controllable(Files.createTempDirectory("oip-test"), ControllableModel.class));
        streaming = TestServer.start(StreamingTestModel.repo(Files.createTempDirectory("oip-stream-test")));
        client = new KServeClient("http://127.0.0.1:" + server.runtime.port());
        streamingClient = new KServeClient("http://127.0.0.1:" + streaming.runtime.port());
    }

    @AfterAll
    static void stop() {
        server.close();
        streaming.close();
    }

    private static Input json(String name, String datatype, Object data, long... shape) {
        return new Input(name, datatype, shape, data, false);
    }

    private static Input binary(String name, String datatype, Object data, long... shape) {
        return new Input(name, datatype, shape, data, true);
    }

    private static List<String> inputTypes(Result r) {
        List<String> types = new ArrayList<>();
        r.output("input_types").get("data").forEach(t -> types.add(t.asText()));
        return types;
    }

    @Test
    void serverMetadataListsTheExtensions() throws Exception {
        JsonNode meta = client.serverMetadata().json();
        assertThat(meta.get("extensions").toString()).contains("\"binary_tensor_data\"", "\"generate\"");
    }

    @Test
    void modelReadyAnswersWithTheNameOnBothRoutes() throws Exception {
        for (String version : new String[] {null, "1"}) {
            Reply r = client.modelReady("controllable", version);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("name").asText()).isEqualTo("controllable");
            assertThat(r.json().get("ready").asBoolean()).isTrue();
        }
        assertThat(client.modelReady("controllable", "2").status()).isEqualTo(404);
    }

    @Test
    void aWrongMethodIs405WithAllow() throws Exception {
        Reply infer = client.get("/v2/models/controllable/infer");
        assertThat(infer.status()).isEqualTo(405);
        assertThat(infer.header("Allow")).isEqualTo("POST");
        assertThat(infer.json().get("error").asText()).contains("GET", "not allowed");
        Reply live = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.runtime.port() + "/v2/health/live"))
                .POST(HttpRequest.BodyPublishers.noBody()));
        assertThat(live.status()).isEqualTo(405);
        assertThat(live.header("Allow")).isEqualTo("GET");
        assertThat(client.get("/v2/nowhere").status()).isEqualTo(404);
    }

    @Test
    void numbersConvertLosslesslyToTheSchemasDatatype() throws Exception {
        Result r = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("n"), 1),
                json("sleep_ms", "INT32", List.of(1), 1), json("numbers", "FP64", List.of(1.5, 2.25), 2),
                json("small", "INT64", List.of(1, 2, 3, 255), 2, 2)), null, false, null);
        assertThat(r.status()).as(r.json().toString()).isEqualTo(200);
        assertThat(r.output("sum").get("data").get(0).asDouble()).isEqualTo(3.75);

        Result outOfRange = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("n"), 1),
                json("small", "INT64", List.of(1, 256), 2, 1)), null, false, null);
        assertThat(outOfRange.status()).isEqualTo(400);
        assertThat(outOfRange.json().get("error").asText()).contains("input 'small'[1]", "out of range for UINT8");
        Result fraction = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("n"), 1),
                json("sleep_ms", "FP64", List.of(1.5), 1)), null, false, null);
        assertThat(fraction.status()).isEqualTo(400);
        assertThat(fraction.json().get("error").asText()).contains("input 'sleep_ms': datatype FP64");
        Result tooBig = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("n"), 1),
                json("numbers", "FP64", List.of(1e300), 1)), null, false, null);
        assertThat(tooBig.status()).isEqualTo(400);
        assertThat(tooBig.json().get("error").asText()).contains("out of range for FP32");
    }

    @Test
    void onlyTheRequestedOutputsComeBackInTheirOrder() throws Exception {
        Map<String, Boolean> outputs = new LinkedHashMap<>();
        outputs.put("sum", false);
        outputs.put("generated_result", false);
        Result r = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("o"), 1),
                json("numbers", "FP32", List.of(1, 2), 2)), outputs, false, null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("outputs")).hasSize(2);
        assertThat(r.json().get("outputs").get(0).get("name").asText()).isEqualTo("sum");
        assertThat(r.json().get("outputs").get(1).get("data").get(0).asText()).isEqualTo("o");

        Result unknown = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("o"), 1)),
                Map.of("logits", false), false, null);
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("error").asText()).contains("outputs: unknown output 'logits'");
    }

    @Test
    void parametersSupplyTheModelsInputs() throws Exception {
        Result r = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("p"), 1)), null, false,
                Map.of("sleep_ms", 1));
        assertThat(r.status()).as(r.json().toString()).isEqualTo(200);
        assertThat(inputTypes(r)).containsExactly("prompt:String", "sleep_ms:Long");

        String inputLevel = "{\"inputs\": [{\"name\": \"prompt\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"p\"],"
                + " \"parameters\": {\"content_type\": \"str\", \"fail\": false}}]}";
        JsonNode r2 = HttpApiTest.ok(server.post("/v2/models/controllable/infer", inputLevel));
        assertThat(r2.get("outputs").get(1).get("data").toString()).isEqualTo("[\"prompt:String\",\"fail:Boolean\"]");

        Result unknown = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("p"), 1)), null, false,
                Map.of("temperature", 0.5));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("error").asText()).contains("parameters.temperature: not an input");
        Result twice = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("p"), 1),
                json("sleep_ms", "INT64", List.of(1), 1)), null, false, Map.of("sleep_ms", 2));
        assertThat(twice.status()).isEqualTo(400);
        assertThat(twice.json().get("error").asText()).contains("'sleep_ms' is given both");
        Result wrongType = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("p"), 1)), null, false,
                Map.of("sleep_ms", "soon"));
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.json().get("error").asText()).contains("input 'sleep_ms'", "expected INT64");
    }

    @Test
    void binaryInputsAndBinaryOutputs() throws Exception {
        Result r = client.infer("controllable", List.of(binary("prompt", "BYTES", List.of("héllo"), 1),
                binary("numbers", "FP32", List.of(1.5f, 2.25f, -1f), 3), binary("small", "UINT8", List.of(1, 2, 3, 200), 2, 2),
                binary("sleep_ms", "INT64", List.of(1L), 1)), null, true, null);
        assertThat(r.status()).as(r.json().toString()).isEqualTo(200);
        assertThat(r.output("generated_result").has("data")).isFalse();
        assertThat(KServeClient.decodeBytes(r.binary().get("generated_result"))).containsExactly("héllo");
        assertThat(KServeClient.decodeBytes(r.binary().get("input_types")))
                .containsExactly("prompt:String", "numbers:ArrayList", "small:ArrayList", "sleep_ms:Long");
        ByteBuffer sum = r.binary().get("sum");
        assertThat(r.output("sum").get("datatype").asText()).isEqualTo("FP64");
        assertThat(sum.remaining()).isEqualTo(8);
        assertThat(sum.getDouble()).isEqualTo(2.75);
    }

    @Test
    void binaryOutputsCanBeAskedOneByOne() throws Exception {
        Map<String, Boolean> outputs = new LinkedHashMap<>();
        outputs.put("generated_result", true);
        outputs.put("sum", false);
        Result r = client.infer("controllable", List.of(json("prompt", "BYTES", List.of("mix"), 1),
                json("numbers", "FP32", List.of(4, 0.5), 2)), outputs, false, null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(KServeClient.decodeBytes(r.binary().get("generated_result"))).containsExactly("mix");
        assertThat(r.output("sum").get("data").get(0).asDouble()).isEqualTo(4.5);
        assertThat(r.binary()).doesNotContainKey("sum");
    }

    @Test
    void malformedBinaryRequestsAre400() throws Exception {
        String header = "{\"inputs\": [{\"name\": \"prompt\", \"shape\": [1], \"datatype\": \"BYTES\", \"parameters\": {\"binary_data_size\": 9}}]}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        byte[] element = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).putInt(5).put("hello".getBytes(StandardCharsets.UTF_8)).array();
        assertBinaryError(json, element, Integer.toString(json.length + 100), "outside the body");
        assertBinaryError(json, element, "many", "expected a byte count");
        assertBinaryError(json, new byte[] {5, 0, 0, 0, 'h'}, Integer.toString(json.length), "only 5 bytes");
        byte[] longer = ByteBuffer.allocate(12).put(element).array();
        assertBinaryError(json, longer, Integer.toString(json.length), "3 bytes of binary data after");
        byte[] badLength = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN).putInt(50).array();
        assertBinaryError(json, badLength, Integer.toString(json.length), "binary BYTES element of 50 bytes");
        // And the well-formed one passes.
        byte[] body = ByteBuffer.allocate(json.length + 9).put(json).put(element).array();
        Reply ok = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.runtime.port() + "/v2/models/controllable/infer"))
                .header(KServeClient.HEADER_LENGTH, Integer.toString(json.length)).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("outputs").get(0).get("data").get(0).asText()).isEqualTo("hello");
    }

    private static void assertBinaryError(byte[] json, byte[] binary, String headerLength, String message) throws Exception {
        byte[] body = ByteBuffer.allocate(json.length + binary.length).put(json).put(binary).array();
        Reply r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.runtime.port() + "/v2/models/controllable/infer"))
                .header(KServeClient.HEADER_LENGTH, headerLength).POST(HttpRequest.BodyPublishers.ofByteArray(body)));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("error").asText()).contains(message);
    }

    @Test
    void generateMapsTextInputAndParameters() throws Exception {
        Reply r = client.generate("controllable", "def f():", Map.of("sleep_ms", 1));
        assertThat(r.status()).isEqualTo(200);
        JsonNode body = r.json();
        assertThat(body.get("model_name").asText()).isEqualTo("controllable");
        assertThat(body.get("model_version").asText()).isEqualTo("1");
        assertThat(body.get("text_output").asText()).isEqualTo("def f():");
        assertThat(body.get("input_types").toString()).isEqualTo("[\"prompt:String\",\"sleep_ms:Long\"]");
        assertThat(body.has("generated_result")).isFalse();

        Reply missing = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.runtime.port()
                + "/v2/models/controllable/versions/1/generate")).POST(HttpRequest.BodyPublishers.ofString("{\"parameters\": {}}")));
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("error").asText()).contains("text_input: required");
        Reply unknown = client.generate("controllable", "x", Map.of("temperature", 1));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().get("error").asText()).contains("parameters.temperature");
        Reply streamOnGenerate = client.generate("controllable", "x", Map.of("stream", true));
        assertThat(streamOnGenerate.status()).isEqualTo(400);
        assertThat(streamOnGenerate.json().get("error").asText()).contains("parameters.stream");
    }

    @Test
    void generateStreamSendsOneJsonEventPerChunk() throws Exception {
        Reply[] reply = new Reply[1];
        List<JsonNode> events = streamingClient.generateStream("streaming", "abc", Map.of("max_tokens", 5, "stream", true), reply);
        assertThat(reply[0].status()).isEqualTo(200);
        assertThat(reply[0].header("Content-Type")).startsWith("text/event-stream");
        StringBuilder text = new StringBuilder();
        for (JsonNode e : events) {
            assertThat(e.get("model_name").asText()).isEqualTo("streaming");
            text.append(e.get("text_output").asText());
        }
        assertThat(events).hasSizeGreaterThan(1);
        assertThat(text.toString()).isEqualTo(StreamingTestModel.expected("abc", 5));

        List<JsonNode> failed = streamingClient.generateStream("streaming", "", null, reply);
        assertThat(reply[0].status()).isEqualTo(400);
        assertThat(failed).isEmpty();
        assertThat(JSON.readTree(reply[0].raw().body()).get("error").asText()).contains("prompt must not be empty");
    }
}
