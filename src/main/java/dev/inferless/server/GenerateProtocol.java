package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.inferless.schema.InvalidInputException;
import dev.inferless.schema.IoSchema;
import dev.inferless.schema.RequestInput;
import dev.inferless.schema.TextGenerationIo;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Open Inference Protocol's generate extension for text models: {@code {"text_input": "...",
 * "parameters": {...}}} in, {@code {"model_name", "model_version", "text_output"}} out (one object
 * from {@code generate}, one Server-Sent Event per chunk from {@code generate_stream}). The text
 * goes to the model's prompt input and {@code text_output} is its text output ({@link TextGenerationIo}).
 * Parameters and other top-level fields naming model inputs supply those inputs; the model's other
 * outputs ride along as fields.
 */
final class GenerateProtocol {

    private static final String TEXT_INPUT = "text_input";
    private static final String TEXT_OUTPUT = "text_output";

    private GenerateProtocol() {}

    static List<RequestInput> parse(JsonNode root, IoSchema schema, TextGenerationIo io, boolean streaming) {
        String textInput = io.promptInput();
        List<RequestInput> inputs = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String key = field.getKey();
            JsonNode value = field.getValue();
            if (key.equals("parameters")) {
                continue;
            }
            if (key.equals(TEXT_INPUT)) {
                if (!value.isTextual()) {
                    throw new ApiError(400, "text_input: expected a string");
                }
                key = textInput;
            } else if (schema.spec(key).isEmpty()) {
                throw new ApiError(400, key + ": not a field of the generate request nor an input of the model (its inputs: "
                        + String.join(", ", schema.specs().keySet()) + ")");
            }
            try {
                inputs.add(RequestInput.fromNested(key, value));
            } catch (InvalidInputException e) {
                throw new ApiError(400, field.getKey() + ": " + e.getMessage());
            }
        }
        if (inputs.stream().noneMatch(i -> i.name().equals(textInput))) {
            throw new ApiError(400, "text_input: required, a string");
        }
        JsonNode params = root.get("parameters");
        if (params != null) {
            if (!params.isObject()) {
                throw new ApiError(400, "parameters: expected an object");
            }
            JsonNode stream = params.get("stream");
            if (stream != null && !(stream.isBoolean() && stream.booleanValue() == streaming)) {
                throw new ApiError(400, "parameters.stream: must be " + streaming + " on "
                        + (streaming ? "generate_stream" : "generate") + ", got " + stream);
            }
            List<RequestInput> fromParameters = new ArrayList<>();
            KServeProtocol.mapParameters(params, "parameters", Set.of("stream"), schema, fromParameters);
            KServeProtocol.addAll(inputs, fromParameters);
        }
        return inputs;
    }

    /** A response object (or one stream event) from the model's outputs (or one chunk). */
    static Map<String, Object> response(String modelName, TextGenerationIo io, Map<String, Object> outputs) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model_name", modelName);
        body.put("model_version", "1");
        if (outputs.containsKey(io.textOutput())) {
            body.put(TEXT_OUTPUT, outputs.get(io.textOutput()));
        }
        outputs.forEach((name, value) -> {
            if (!name.equals(io.textOutput())) {
                body.putIfAbsent(name, value);
            }
        });
        return body;
    }
}
