package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small Open Inference Protocol (KServe v2) REST client, written from the specification and
 * Triton's binary tensor data and generate extensions, independent of the server's code: what a
 * client in another language would send and read.
 */
final class KServeClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String HEADER_LENGTH = "Inference-Header-Content-Length";

    /** An answer: status, headers and body (JSON where the server sent JSON). */
    record Reply(int status, HttpResponse<byte[]> raw) {
        JsonNode json() throws Exception {
            return JSON.readTree(raw.body());
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    /** One input: either JSON data, or binary data encoded per the extension. */
    record Input(String name, String datatype, long[] shape, Object data, boolean binary) {}

    /** An inference result: the JSON part, and each binary output's bytes by name. */
    record Result(int status, JsonNode json, Map<String, ByteBuffer> binary) {
        JsonNode output(String name) {
            for (JsonNode o : json.get("outputs")) {
                if (o.get("name").asText().equals(name)) {
                    return o;
                }
            }
            throw new AssertionError("no output " + name + " in " + json);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    private final String base;

    KServeClient(String base) {
        this.base = base;
    }

    Reply get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Reply serverMetadata() throws Exception {
        return get("/v2");
    }

    Reply modelMetadata(String model) throws Exception {
        return get("/v2/models/" + model);
    }

    Reply modelReady(String model, String version) throws Exception {
        return get("/v2/models/" + model + (version == null ? "" : "/versions/" + version) + "/ready");
    }

    /**
     * POST .../infer. Binary inputs travel after the JSON header; {@code outputs} (name -> binary?)
     * null asks for every output, as binary when {@code binaryOutputs}.
     */
    Result infer(String model, List<Input> inputs, Map<String, Boolean> outputs, boolean binaryOutputs,
            Map<String, Object> parameters) throws Exception {
        ObjectNode request = JSON.createObjectNode();
        ArrayNode in = request.putArray("inputs");
        ByteArrayOutputStream binary = new ByteArrayOutputStream();
        for (Input i : inputs) {
            ObjectNode node = in.addObject();
            node.put("name", i.name()).put("datatype", i.datatype());
            ArrayNode shape = node.putArray("shape");
            for (long d : i.shape()) {
                shape.add(d);
            }
            if (i.binary()) {
                byte[] bytes = encode(i.datatype(), i.data());
                node.putObject("parameters").put("binary_data_size", bytes.length);
                binary.writeBytes(bytes);
            } else {
                node.set("data", JSON.valueToTree(i.data()));
            }
        }
        if (outputs != null) {
            ArrayNode out = request.putArray("outputs");
            outputs.forEach((name, bin) -> out.addObject().put("name", name).putObject("parameters").put("binary_data", bin));
        }
        ObjectNode params = JSON.valueToTree(parameters == null ? Map.of() : parameters);
        if (binaryOutputs) {
            params.put("binary_data_output", true);
        }
        if (!params.isEmpty()) {
            request.set("parameters", params);
        }
        byte[] header = JSON.writeValueAsBytes(request);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v2/models/" + model + "/infer"));
        byte[] body = header;
        if (binary.size() > 0 || binaryOutputs || (outputs != null && outputs.containsValue(true))) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.writeBytes(header);
            all.writeBytes(binary.toByteArray());
            body = all.toByteArray();
            b.header(HEADER_LENGTH, Integer.toString(header.length)).header("Content-Type", "application/octet-stream");
        } else {
            b.header("Content-Type", "application/json");
        }
        return result(send(b.POST(HttpRequest.BodyPublishers.ofByteArray(body))));
    }

    /** Splits a response per Inference-Header-Content-Length and assigns the binary part to outputs in order. */
    private static Result result(Reply reply) throws Exception {
        byte[] body = reply.raw().body();
        String length = reply.header(HEADER_LENGTH);
        int jsonLength = length == null ? body.length : Integer.parseInt(length);
        JsonNode json = JSON.readTree(new String(body, 0, jsonLength, StandardCharsets.UTF_8));
        Map<String, ByteBuffer> binary = new LinkedHashMap<>();
        int at = jsonLength;
        if (json.has("outputs")) {
            for (JsonNode o : json.get("outputs")) {
                JsonNode size = o.path("parameters").get("binary_data_size");
                if (size != null) {
                    binary.put(o.get("name").asText(), ByteBuffer.wrap(body, at, size.asInt()).slice().order(ByteOrder.LITTLE_ENDIAN));
                    at += size.asInt();
                }
            }
        }
        if (at != body.length) {
            throw new AssertionError("binary part of " + (body.length - jsonLength) + " bytes, outputs declare " + (at - jsonLength));
        }
        return new Result(reply.status(), json, binary);
    }

    /** POST .../generate with a text input and parameters. */
    Reply generate(String model, String textInput, Map<String, Object> parameters) throws Exception {
        return send(post("/v2/models/" + model + "/generate", generateBody(textInput, parameters)));
    }

    /** POST .../generate_stream: the data of each Server-Sent Event, parsed; the reply for its status and headers. */
    List<JsonNode> generateStream(String model, String textInput, Map<String, Object> parameters, Reply[] reply) throws Exception {
        Reply r = send(post("/v2/models/" + model + "/generate_stream", generateBody(textInput, parameters)));
        reply[0] = r;
        List<JsonNode> events = new ArrayList<>();
        for (String line : new String(r.raw().body(), StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith("data:")) {
                events.add(JSON.readTree(line.substring("data:".length()).trim()));
            }
        }
        return events;
    }

    private static String generateBody(String textInput, Map<String, Object> parameters) throws Exception {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text_input", textInput);
        if (parameters != null) {
            body.put("parameters", parameters);
        }
        return JSON.writeValueAsString(body);
    }

    private HttpRequest.Builder post(String path, String json) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    Reply send(HttpRequest.Builder request) throws Exception {
        HttpResponse<byte[]> r = http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r);
    }

    /** The extension's encoding: little-endian elements; BYTES as a 4-byte length before each element. */
    static byte[] encode(String datatype, Object data) {
        List<?> values = data instanceof List ? (List<?>) data : List.of(data);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object v : values) {
            ByteBuffer b;
            switch (datatype) {
                case "BYTES":
                    byte[] s = ((String) v).getBytes(StandardCharsets.UTF_8);
                    b = ByteBuffer.allocate(4 + s.length).order(ByteOrder.LITTLE_ENDIAN).putInt(s.length).put(s);
                    break;
                case "BOOL": b = ByteBuffer.allocate(1).put((byte) ((Boolean) v ? 1 : 0)); break;
                case "UINT8": b = ByteBuffer.allocate(1).put(((Number) v).byteValue()); break;
                case "INT32": b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(((Number) v).intValue()); break;
                case "INT64": b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(((Number) v).longValue()); break;
                case "FP32": b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(((Number) v).floatValue()); break;
                case "FP64": b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(((Number) v).doubleValue()); break;
                default: throw new IllegalArgumentException("the test client does not encode " + datatype);
            }
            out.writeBytes(b.array());
        }
        return out.toByteArray();
    }

    /** The strings of a binary BYTES output. */
    static List<String> decodeBytes(ByteBuffer b) {
        List<String> out = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] s = new byte[b.getInt()];
            b.get(s);
            out.add(new String(s, StandardCharsets.UTF_8));
        }
        return out;
    }
}
