package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based fuzzing of request parsing on every route: random JSON trees built from the
 * fields the protocols know (and unknown ones), random values of every JSON type, and bytes that
 * are not JSON at all. Whatever arrives, the answer is 2xx or 4xx, never 5xx, and comes within the
 * client's timeout (no hang). The model is the echo test model; its steering inputs (sleep, hold,
 * fail) are never generated, so every 5xx would be the server's fault.
 */
class RequestFuzzTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final List<String> POST_ROUTES = List.of("/infer", "/v1/completions", "/v2/models/controllable/infer",
            "/v2/models/controllable/versions/1/infer", "/v2/models/other/infer");
    private static final List<String> FIELDS = List.of("prompt", "numbers", "small", "stream", "max_tokens", "temperature",
            "top_p", "top_k", "n", "echo", "model", "stop", "seed", "user", "logprobs", "best_of", "logit_bias",
            "inputs", "id", "parameters", "outputs", "name", "shape", "datatype", "data", "x_unknown");
    private static final List<String> DATATYPES = List.of("BYTES", "BOOL", "INT8", "INT32", "INT64", "UINT8", "UINT64",
            "FP16", "FP32", "FP64", "BF16", "STRING", "nope");

    private static TestServer server;

    @BeforeContainer
    static void start() throws Exception {
        server = TestServer.start(TestRepos.controllable(Files.createTempDirectory("fuzz"), ControllableModel.class),
                "server.max_body_bytes=65536", "server.inference_timeout_s=20");
    }

    @AfterContainer
    static void stop() {
        server.close();
    }

    @Property(tries = 400)
    void jsonBodiesOnEveryPostRouteGetNo5xx(@ForAll("routes") String route, @ForAll("bodies") JsonNode body) throws Exception {
        assertNo5xx(route, body.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 200)
    void kserveShapedBodiesGetNo5xx(@ForAll("kserveBodies") JsonNode body) throws Exception {
        assertNo5xx("/v2/models/controllable/infer", body.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Property(tries = 200)
    void bytesThatAreNotJsonGetNo5xx(@ForAll("routes") String route, @ForAll("garbage") byte[] body) throws Exception {
        assertNo5xx(route, body);
    }

    @Property(tries = 100)
    void randomPathSegmentsOnGetRoutesGetNo5xx(@ForAll("segments") String segment) throws Exception {
        String s = URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
        for (String path : List.of("/v2/models/" + s, "/v2/models/" + s + "/ready", "/v2/models/controllable/versions/" + s,
                "/v1/models?x=" + s, "/" + s)) {
            HttpResponse<String> r = server.send(server.request(path).timeout(Duration.ofSeconds(10)).GET().build());
            assertThat(r.statusCode()).as(path + " -> " + r.body()).isBetween(200, 499);
        }
    }

    private static void assertNo5xx(String route, byte[] body) throws Exception {
        HttpResponse<String> r = server.send(server.request(route).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
        assertThat(r.statusCode()).as(route + " " + new String(body, StandardCharsets.UTF_8) + " -> " + r.body())
                .isBetween(200, 499);
    }

    @Provide
    Arbitrary<String> routes() {
        return Arbitraries.of(POST_ROUTES);
    }

    @Provide
    Arbitrary<String> segments() {
        return Arbitraries.strings().ofMinLength(1).ofMaxLength(30);
    }

    @Provide
    Arbitrary<byte[]> garbage() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> truncated = bodies().map(j -> {
            byte[] b = j.toString().getBytes(StandardCharsets.UTF_8);
            return java.util.Arrays.copyOf(b, Math.max(0, b.length - 1 - b.length / 3));
        });
        return Arbitraries.oneOf(random, truncated);
    }

    @Provide
    Arbitrary<JsonNode> bodies() {
        return Arbitraries.oneOf(objects(3), value(2));
    }

    @Provide
    Arbitrary<JsonNode> kserveBodies() {
        Arbitrary<JsonNode> tensor = Arbitraries.integers().between(0, 15).flatMap(mask -> Arbitraries.oneOf(
                Arbitraries.of("prompt", "numbers", "small", "x").map(s -> (JsonNode) F.textNode(s)), value(0)).flatMap(name ->
                value(1).flatMap(shape -> Arbitraries.of(DATATYPES).flatMap(dt -> value(2).map(data -> {
                    ObjectNode t = F.objectNode();
                    if ((mask & 1) != 0) t.set("name", name);
                    if ((mask & 2) != 0) t.set("shape", shape);
                    if ((mask & 4) != 0) t.put("datatype", dt);
                    if ((mask & 8) != 0) t.set("data", data);
                    return (JsonNode) t;
                })))));
        return tensor.list().ofMaxSize(4).map(list -> {
            ObjectNode body = F.objectNode();
            ArrayNode inputs = body.putArray("inputs");
            list.forEach(inputs::add);
            return body;
        });
    }

    private Arbitrary<JsonNode> objects(int depth) {
        Arbitrary<String> names = Arbitraries.oneOf(Arbitraries.of(FIELDS), Arbitraries.strings().alpha().ofMaxLength(6)
                .map(s -> "x_" + s));
        Arbitrary<JsonNode> values = depth == 0 ? value(0) : Arbitraries.oneOf(value(1), objects(depth - 1));
        return Arbitraries.maps(names, values).ofMaxSize(6).map(m -> {
            ObjectNode o = F.objectNode();
            m.forEach(o::set);
            return o;
        });
    }

    /** Any JSON value, nesting arrays up to {@code depth}. */
    private Arbitrary<JsonNode> value(int depth) {
        Arbitrary<JsonNode> scalar = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(12).map(F::textNode),
                Arbitraries.of("", "é世🎉", "def f():", "NaN", "1e999").map(F::textNode),
                Arbitraries.longs().map(F::numberNode),
                Arbitraries.integers().between(-3, 300).map(F::numberNode),
                Arbitraries.doubles().map(F::numberNode),
                Arbitraries.of(1e308, -1e308, 0.5, 1.5, 2.0).map(F::numberNode),
                Arbitraries.of(true, false).map(F::booleanNode),
                Arbitraries.just(F.nullNode()),
                Arbitraries.just(F.objectNode()));
        if (depth == 0) {
            return scalar;
        }
        return Arbitraries.oneOf(scalar, value(depth - 1).list().ofMaxSize(4).map(l -> {
            ArrayNode a = F.arrayNode();
            l.forEach(a::add);
            return (JsonNode) a;
        }));
    }
}
