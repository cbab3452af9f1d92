package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.inferless.schema.Datatype;
import dev.inferless.schema.InvalidInputException;
import dev.inferless.schema.IoSchema;
import dev.inferless.schema.RequestInput;
import dev.inferless.schema.TensorSpec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Open Inference Protocol (KServe v2) inference request and response, JSON form and the binary
 * tensor data extension: {@code inputs} of {name, shape, datatype, data | parameters.binary_data_size},
 * optional {@code id}, {@code parameters} (request and input level: a key naming a model input
 * supplies that input) and {@code outputs} (which outputs to return, each as JSON or binary).
 */
final class KServeProtocol {

    /** The header that splits a binary request or response into its JSON part and the tensor bytes after it. */
    static final String HEADER_LENGTH = "Inference-Header-Content-Length";
    private static final Set<String> REQUEST_PARAMETERS = Set.of("binary_data_output");
    private static final Set<String> INPUT_PARAMETERS = Set.of("binary_data_size", "content_type");

    /** An output asked for by name, and whether its data travels binary. */
    record RequestedOutput(String name, boolean binary) {}

    /** A parsed request; {@code outputs} null = every output, as JSON unless {@code binaryOutputs}. */
    record Request(String id, List<RequestInput> inputs, List<RequestedOutput> outputs, boolean binaryOutputs) {}

    /** A response: the JSON part and, when some outputs are binary, their bytes in output order. */
    record Response(Map<String, Object> json, List<byte[]> binary) {}

    private KServeProtocol() {}

    /**
     * @param json the JSON part of the body; {@code binary} the bytes after it (empty without the extension)
     */
    static Request parse(JsonNode root, ByteBuffer binary, IoSchema inputSchema) {
        JsonNode id = root.get("id");
        if (id != null && !id.isTextual()) {
            throw new ApiError(400, "id: expected a string");
        }
        JsonNode inputs = root.get("inputs");
        if (inputs == null || !inputs.isArray()) {
            throw new ApiError(400, "inputs: required, a list of {name, shape, datatype, data}");
        }
        List<RequestInput> parsed = new ArrayList<>();
        List<RequestInput> fromParameters = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            parsed.add(input(inputs.get(i), "inputs[" + i + "]", binary, inputSchema, fromParameters));
        }
        if (binary.hasRemaining()) {
            throw new ApiError(400, binary.remaining() + " bytes of binary data after the inputs' binary_data_size");
        }
        JsonNode params = root.get("parameters");
        boolean binaryOutputs = false;
        if (params != null) {
            if (!params.isObject()) {
                throw new ApiError(400, "parameters: expected an object");
            }
            JsonNode b = params.get("binary_data_output");
            if (b != null && !b.isBoolean()) {
                throw new ApiError(400, "parameters.binary_data_output: expected true or false");
            }
            binaryOutputs = b != null && b.booleanValue();
            mapParameters(params, "parameters", REQUEST_PARAMETERS, inputSchema, fromParameters);
        }
        addAll(parsed, fromParameters);
        return new Request(id == null ? null : id.textValue(), parsed, outputs(root.get("outputs")), binaryOutputs);
    }

    /**
     * Parameters naming a model input supply that input (a scalar of shape [1], typed by the schema);
     * the protocol's own are skipped; any other is a 400 naming it.
     */
    static void mapParameters(JsonNode params, String where, Set<String> protocolOwn, IoSchema schema, List<RequestInput> out) {
        for (Iterator<Map.Entry<String, JsonNode>> it = params.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            if (protocolOwn.contains(p.getKey())) {
                continue;
            }
            if (schema.spec(p.getKey()).isEmpty()) {
                throw new ApiError(400, where + "." + p.getKey() + ": not an input of the model (its inputs: "
                        + String.join(", ", schema.specs().keySet()) + ")");
            }
            if (!p.getValue().isValueNode() || p.getValue().isNull()) {
                throw new ApiError(400, where + "." + p.getKey() + ": expected a string, number or boolean");
            }
            try {
                out.add(RequestInput.fromNested(p.getKey(), p.getValue()));
            } catch (InvalidInputException e) {
                throw new ApiError(400, where + "." + p.getKey() + ": " + e.getMessage());
            }
        }
    }

    /** Adds inputs from parameters; an input given both ways is a 400. */
    static void addAll(List<RequestInput> inputs, List<RequestInput> fromParameters) {
        for (RequestInput p : fromParameters) {
            if (inputs.stream().anyMatch(i -> i.name().equals(p.name()))) {
                throw new ApiError(400, "input '" + p.name() + "' is given both as an input and as a parameter");
            }
            inputs.add(p);
        }
    }

    private static RequestInput input(JsonNode node, String where, ByteBuffer binary, IoSchema schema,
            List<RequestInput> fromParameters) {
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
        JsonNode params = node.get("parameters");
        if (params != null && !params.isObject()) {
            throw new ApiError(400, where + ".parameters: expected an object");
        }
        JsonNode binarySize = params == null ? null : params.get("binary_data_size");
        JsonNode contentType = params == null ? null : params.get("content_type");
        boolean bytes = datatype.textValue().equalsIgnoreCase("BYTES") || datatype.textValue().equalsIgnoreCase("STRING");
        if (contentType != null && !(bytes && contentType.isTextual() && contentType.textValue().equals("str"))) {
            throw new ApiError(400, where + ".parameters.content_type: only \"str\" on a BYTES input is understood, got "
                    + contentType);
        }
        if (params != null) {
            mapParameters(params, where + ".parameters", INPUT_PARAMETERS, schema, fromParameters);
        }
        JsonNode data = node.get("data");
        List<JsonNode> flat = new ArrayList<>();
        if (binarySize != null) {
            if (data != null) {
                throw new ApiError(400, where + ": both data and parameters.binary_data_size given; send one");
            }
            flat = binaryData(binarySize, datatype.textValue(), binary, where);
        } else if (data == null) {
            throw new ApiError(400, where + ".data: required (or parameters.binary_data_size with binary data)");
        } else {
            RequestInput.flatten(data, flat);
        }
        return new RequestInput(name.textValue(), datatype.textValue(), dims, flat);
    }

    private static List<JsonNode> binaryData(JsonNode size, String datatype, ByteBuffer binary, String where) {
        if (!size.isIntegralNumber() || !size.canConvertToInt() || size.intValue() < 0) {
            throw new ApiError(400, where + ".parameters.binary_data_size: expected a non-negative integer, got " + size);
        }
        if (size.intValue() > binary.remaining()) {
            throw new ApiError(400, where + ".parameters.binary_data_size: " + size.intValue() + " bytes, but only "
                    + binary.remaining() + " bytes of binary data are left (" + HEADER_LENGTH + " set right?)");
        }
        Datatype type;
        try {
            type = Datatype.parse(datatype);
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, where + ".datatype: " + e.getMessage());
        }
        ByteBuffer bytes = binary.slice();
        bytes.limit(size.intValue());
        binary.position(binary.position() + size.intValue());
        return BinaryTensors.decode(type, bytes, where);
    }

    private static List<RequestedOutput> outputs(JsonNode outputs) {
        if (outputs == null) {
            return null;
        }
        if (!outputs.isArray()) {
            throw new ApiError(400, "outputs: expected a list of {name, parameters}");
        }
        List<RequestedOutput> requested = new ArrayList<>();
        for (int i = 0; i < outputs.size(); i++) {
            String where = "outputs[" + i + "]";
            JsonNode o = outputs.get(i);
            JsonNode name = o.get("name");
            if (name == null || !name.isTextual() || name.textValue().isEmpty()) {
                throw new ApiError(400, where + ".name: required, a non-empty string");
            }
            boolean binary = false;
            JsonNode params = o.get("parameters");
            if (params != null) {
                for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
                    String key = it.next();
                    if (!key.equals("binary_data")) {
                        throw new ApiError(400, where + ".parameters." + key + ": not supported (only binary_data)");
                    }
                }
                JsonNode b = params.get("binary_data");
                if (b != null && !b.isBoolean()) {
                    throw new ApiError(400, where + ".parameters.binary_data: expected true or false");
                }
                binary = b != null && b.booleanValue();
            }
            requested.add(new RequestedOutput(name.textValue(), binary));
        }
        return requested;
    }

    /** Before inference: requested outputs the output schema does not declare are a 400. */
    static void checkRequestedOutputs(Request request, IoSchema schema) {
        if (request.outputs() == null || schema.specs().isEmpty()) {
            return;
        }
        for (RequestedOutput o : request.outputs()) {
            if (schema.spec(o.name()).isEmpty()) {
                throw new ApiError(400, "outputs: unknown output '" + o.name() + "' (the model's outputs: "
                        + String.join(", ", schema.specs().keySet()) + ")");
            }
        }
    }

    static Response response(String modelName, Request request, Map<String, Object> outputs, IoSchema schema) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model_name", modelName);
        body.put("model_version", "1");
        if (request.id() != null) {
            body.put("id", request.id());
        }
        List<RequestedOutput> wanted = request.outputs();
        if (wanted == null) {
            wanted = new ArrayList<>();
            for (String name : outputs.keySet()) {
                wanted.add(new RequestedOutput(name, request.binaryOutputs()));
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        List<byte[]> binary = new ArrayList<>();
        for (RequestedOutput o : wanted) {
            if (!outputs.containsKey(o.name())) {
                throw new ApiError(400, "outputs: the model returned no output '" + o.name() + "' (it returned: "
                        + String.join(", ", outputs.keySet()) + ")");
            }
            out.add(output(o, outputs.get(o.name()), schema, binary));
        }
        body.put("outputs", out);
        return new Response(body, binary);
    }

    private static Map<String, Object> output(RequestedOutput o, Object value, IoSchema schema, List<byte[]> binary) {
        List<?> data = value instanceof List ? (List<?>) value : List.of(value);
        Datatype datatype = schema.spec(o.name()).map(TensorSpec::datatype)
                .orElseGet(() -> data.isEmpty() ? Datatype.STRING : Datatype.ofValue(data.get(0)));
        Map<String, Object> tensor = new LinkedHashMap<>();
        tensor.put("name", o.name());
        tensor.put("datatype", datatype.wireName());
        tensor.put("shape", List.of(data.size()));
        if (o.binary()) {
            byte[] bytes = BinaryTensors.encode(datatype, data);
            tensor.put("parameters", Map.of("binary_data_size", bytes.length));
            binary.add(bytes);
        } else {
            tensor.put("data", data);
        }
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
