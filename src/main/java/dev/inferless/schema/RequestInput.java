package dev.inferless.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One input as a protocol delivered it, before validation: its name, the datatype the client
 * declared (null when the protocol has none, as in simple JSON), its shape and its flat data.
 */
public record RequestInput(String name, String datatype, List<Long> shape, List<JsonNode> data) {

    public RequestInput {
        shape = List.copyOf(shape);
        data = List.copyOf(data);
    }

    /** Simple JSON ({"prompt": "...", "max_tokens": 64}): one input per field, shapes read from nesting. */
    public static List<RequestInput> fromFields(JsonNode object) throws InvalidInputException {
        List<RequestInput> inputs = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getValue().isObject()) {
                throw new InvalidInputException("input '" + field.getKey() + "': expected a value or a list of values, got an object");
            }
            inputs.add(fromNested(field.getKey(), field.getValue()));
        }
        return inputs;
    }

    /** A JSON value whose shape is read from its nesting: a scalar is [1], a list of n is [n], etc. */
    public static RequestInput fromNested(String name, JsonNode value) throws InvalidInputException {
        List<Long> shape = new ArrayList<>();
        JsonNode probe = value;
        while (probe.isArray()) {
            shape.add((long) probe.size());
            if (probe.isEmpty()) {
                break;
            }
            probe = probe.get(0);
        }
        if (shape.isEmpty()) {
            shape.add(1L);
        }
        List<JsonNode> flat = new ArrayList<>();
        flatten(value, flat);
        long expected = shape.stream().reduce(1L, (a, b) -> a * b);
        if (flat.size() != expected) {
            throw new InvalidInputException("input '" + name + "': nested lists must be rectangular");
        }
        return new RequestInput(name, null, shape, flat);
    }

    /** Row-major flattening of nested JSON arrays (KServe v2 allows both flat and nested data). */
    public static void flatten(JsonNode node, List<JsonNode> out) {
        if (node.isArray()) {
            for (JsonNode child : node) {
                flatten(child, out);
            }
        } else {
            out.add(node);
        }
    }
}
