package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.inferless.schema.Datatype;
import dev.inferless.schema.IoSchema;
import dev.inferless.schema.RequestInput;
import dev.inferless.schema.TensorSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KServe v2 / Open Inference Protocol JSON: a request's {@code inputs} of {name, shape, datatype,
 * data} (plus optional {@code id} and {@code parameters}), and the response with model_name, id, outputs.
 */
final class KServeProtocol {

    /** A parsed v2 inference request. */
    record Request(String id, List<RequestInput> inputs) {}

    private KServeProtocol() {}

    static Request parse(JsonNode root) {
        JsonNode id = root.get("id");
        if (id != null && !id.isTextual()) {
            throw new ApiError(400, "id: expected a string");
        }
        JsonNode params = root.get("parameters");
        if (params != null && !params.isObject()) {
            throw new ApiError(400, "parameters: expected an object");
        }
        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray()) {
            throw new ApiError(400, "inputs: required, a list of {name, shape, datatype, data}");
        }
        List<RequestInput> parsed = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            parsed.add(input(inputs.get(i), "inputs[" + i + "]"));
        }
        return new Request(id == null ? null : id.textValue(), parsed);
    }

    private static RequestInput input(JsonNode node, String where) {
        if (!node.isObject()) {
            throw new ApiError(400, where + ": expected an object {name, shape, datatype, data}");
        }
        JsonNode name = node.get("name");
        if (name == null || !name.isTextual() || name.textValue().isEmpty()) {
            throw new ApiError(400, where + ".name: required, a non-empty string");
        }
        where = where + " ('" + name.textValue() + "')";
        JsonNode shape = node.get("shape");
        if (shape == null || !shape.isArray()) {
            throw new ApiError(400, where + ".shape: required, a list of sizes");
        }
        List<Long> dims = new ArrayList<>();
        for (JsonNode d : shape) {
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw new ApiError(400, where + ".shape: sizes must be non-negative integers, got " + shape);
            }
            dims.add(d.longValue());
        }
        JsonNode datatype = node.get("datatype");
        if (datatype == null || !datatype.isTextual()) {
            throw new ApiError(400, where + ".datatype: required, a string such as BYTES, INT64, FP32");
        }
        JsonNode data = node.get("data");
        if (data == null) {
            throw new ApiError(400, where + ".data: required");
        }
        List<JsonNode> flat = new ArrayList<>();
        RequestInput.flatten(data, flat);
        return new RequestInput(name.textValue(), datatype.textValue(), dims, flat);
    }

    static Map<String, Object> response(String modelName, String id, Map<String, Object> outputs, IoSchema schema) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model_name", modelName);
        body.put("model_version", "1");
        if (id != null) {
            body.put("id", id);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        outputs.forEach((name, value) -> out.add(output(name, value, schema)));
        body.put("outputs", out);
        return body;
    }

    private static Map<String, Object> output(String name, Object value, IoSchema schema) {
        List<?> data = value instanceof List ? (List<?>) value : List.of(value);
        Datatype datatype = schema.spec(name).map(TensorSpec::datatype)
                .orElseGet(() -> data.isEmpty() ? Datatype.STRING : Datatype.ofValue(data.get(0)));
        Map<String, Object> tensor = new LinkedHashMap<>();
        tensor.put("name", name);
        tensor.put("datatype", datatype.wireName());
        tensor.put("shape", List.of(data.size()));
        tensor.put("data", data);
        return tensor;
    }

    static Map<String, Object> tensorMetadata(TensorSpec spec) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", spec.name());
        m.put("datatype", spec.datatype().wireName());
        m.put("shape", spec.shape());
        m.put("optional", !spec.required());
        return m;
    }
}
