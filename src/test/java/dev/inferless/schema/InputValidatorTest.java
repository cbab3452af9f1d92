package dev.inferless.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InputValidatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final IoSchema SCHEMA = IoSchema.parse(json("{"
            + "\"prompt\": {\"datatype\": \"STRING\", \"required\": true, \"shape\": [1]},"
            + "\"ids\": {\"datatype\": \"INT32\", \"required\": false, \"shape\": [-1]},"
            + "\"grid\": {\"datatype\": \"UINT8\", \"required\": false, \"shape\": [2, -1]},"
            + "\"temperature\": {\"datatype\": \"FP16\", \"required\": false, \"shape\": [1]},"
            + "\"stream\": {\"datatype\": \"BOOL\", \"required\": false, \"shape\": [1]}}"), "input_schema.json", "inputs");

    @Test
    void shapeOneIsAPlainValueAndLongerShapesAreFlatLists() throws Exception {
        Map<String, Object> v = InputValidator.validate(SCHEMA, List.of(
                input("prompt", "BYTES", List.of(1L), "[\"hi\"]"),
                input("ids", "INT32", List.of(3L), "[1, 2, 3]"),
                input("grid", "UINT8", List.of(2L, 2L), "[[1, 2], [3, 4]]"),
                input("temperature", "FP16", List.of(1L), "[0.5]"),
                input("stream", "BOOL", List.of(1L), "[true]")));
        assertThat(v).containsEntry("prompt", "hi").containsEntry("ids", List.of(1L, 2L, 3L))
                .containsEntry("grid", List.of(1L, 2L, 3L, 4L)).containsEntry("temperature", 0.5)
                .containsEntry("stream", true);
        assertThat(InputValidator.validate(SCHEMA, List.of(input("prompt", null, List.of(1L), "[\"x\"]"),
                input("ids", null, List.of(1L), "[7]")))).containsEntry("ids", 7L);
    }

    @Test
    void errorsNameTheInput() {
        assertError(List.of(), "missing required input 'prompt'");
        assertError(List.of(input("prompt", "BYTES", List.of(1L), "[\"a\"]"), input("nope", "BYTES", List.of(1L), "[\"a\"]")),
                "unknown input 'nope'");
        assertError(List.of(input("prompt", "INT64", List.of(1L), "[1]")), "input 'prompt': datatype INT64 does not match the schema's BYTES");
        assertError(List.of(input("prompt", "BYTES", List.of(2L), "[\"a\", \"b\"]")), "input 'prompt': shape [2] does not match");
        assertError(List.of(input("prompt", "BYTES", List.of(1L), "[1]")), "input 'prompt': expected STRING, got 1");
        assertError(List.of(p(), input("ids", "INT32", List.of(3L), "[1, 2]")), "input 'ids': shape [3] needs 3 values, got 2");
        assertError(List.of(p(), input("ids", "INT32", List.of(2L), "[1, 2.5]")), "input 'ids'[1]: expected INT32");
        assertError(List.of(p(), input("ids", "INT32", List.of(1L), "[3000000000]")), "out of range for INT32");
        assertError(List.of(p(), input("grid", "UINT8", List.of(3L, 1L), "[1, 2, 3]")), "input 'grid': shape [3, 1] does not match the schema's [2, -1]");
        assertError(List.of(p(), input("grid", "UINT8", List.of(2L, 1L), "[1, -2]")), "input 'grid'[1]: -2 is out of range for UINT8");
        assertError(List.of(p(), input("temperature", "FP16", List.of(1L), "[70000]")), "out of range for FP16");
        assertError(List.of(p(), input("stream", "BOOL", List.of(1L), "[\"yes\"]")), "input 'stream': expected BOOL");
        assertError(List.of(p(), input("ids", "FLOAT", List.of(1L), "[1]")), "input 'ids': unknown datatype 'FLOAT'");
        assertError(List.of(p(), p()), "input 'prompt' is given twice");
    }

    @Test
    void integerRangesMatchTheirJavaTypesOnRandomValues() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 500; i++) {
            long v = random.nextLong() >> random.nextInt(64);
            JsonNode node = JSON.getNodeFactory().numberNode(v);
            assertAccepts(Datatype.INT8, node, v == (byte) v);
            assertAccepts(Datatype.INT16, node, v == (short) v);
            assertAccepts(Datatype.INT32, node, v == (int) v);
            assertAccepts(Datatype.UINT8, node, v >= 0 && v < 256);
            assertAccepts(Datatype.UINT16, node, v >= 0 && v < 65536);
            assertAccepts(Datatype.UINT32, node, v >= 0 && v < (1L << 32));
            assertThat(Datatype.INT64.toValue(node)).isEqualTo(v);
        }
    }

    @Test
    void nestedSimpleJsonGetsItsShapeFromTheNesting() throws Exception {
        RequestInput r = RequestInput.fromNested("grid", json("[[1, 2, 3], [4, 5, 6]]"));
        assertThat(r.shape()).containsExactly(2L, 3L);
        assertThat(r.data()).hasSize(6);
        assertThat(RequestInput.fromNested("p", json("\"x\"")).shape()).containsExactly(1L);
        assertThatThrownBy(() -> RequestInput.fromNested("grid", json("[[1, 2], [3]]"))).hasMessageContaining("rectangular");
    }

    @Test
    void examplesBecomeWarmupInputs() throws Exception {
        TensorSpec spec = new TensorSpec("ids", Datatype.INT64, true, List.of(2L, -1L), json("[1, 2, 3, 4, 5, 6]"), null);
        RequestInput example = InputValidator.exampleOf(spec);
        assertThat(example.shape()).containsExactly(2L, 3L);
        TensorSpec bad = new TensorSpec("ids", Datatype.INT64, true, List.of(2L, -1L), json("[1, 2, 3]"), null);
        assertThatThrownBy(() -> InputValidator.exampleOf(bad)).hasMessageContaining("needs");
    }

    private static void assertAccepts(Datatype type, JsonNode node, boolean accepted) {
        if (accepted) {
            assertThat(type.toValue(node)).isEqualTo(node.longValue());
        } else {
            assertThatThrownBy(() -> type.toValue(node)).hasMessageContaining("out of range for " + type);
        }
    }

    private static RequestInput p() {
        return input("prompt", "BYTES", List.of(1L), "[\"a\"]");
    }

    private static void assertError(List<RequestInput> inputs, String message) {
        assertThatThrownBy(() -> InputValidator.validate(SCHEMA, inputs))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining(message);
    }

    private static RequestInput input(String name, String datatype, List<Long> shape, String data) {
        List<JsonNode> flat = new ArrayList<>();
        RequestInput.flatten(json(data), flat);
        return new RequestInput(name, datatype, shape, flat);
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
