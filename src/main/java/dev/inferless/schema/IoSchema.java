package dev.inferless.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The inputs or outputs of a model repo (input_schema.json / output_schema.json). Two spellings are
 * read: Inferless's object keyed by name, {"prompt": {"datatype": "STRING", "required": true,
 * "shape": [1], "example": ["..."]}}, and a KServe-style list {"inputs": [{"name": "prompt", ...}]}.
 */
public record IoSchema(Map<String, TensorSpec> specs) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public IoSchema {
        specs = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(specs));
    }

    public static IoSchema empty() {
        return new IoSchema(Map.of());
    }

    public Optional<TensorSpec> spec(String name) {
        return Optional.ofNullable(specs.get(name));
    }

    public static IoSchema read(Path file, String listKey) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file.getFileName() + ": malformed JSON: " + e.getOriginalMessage());
        }
        return parse(root, file.getFileName().toString(), listKey);
    }

    static IoSchema parse(JsonNode root, String source, String listKey) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(source + ": expected a JSON object");
        }
        Map<String, TensorSpec> specs = new LinkedHashMap<>();
        if (root.size() == 1 && root.has(listKey) && root.get(listKey).isArray()) {
            int i = 0;
            for (JsonNode item : root.get(listKey)) {
                String where = source + ": " + listKey + "[" + i++ + "]";
                JsonNode name = item.get("name");
                if (name == null || !name.isTextual() || name.textValue().isEmpty()) {
                    throw new IllegalArgumentException(where + ".name: required, a non-empty string");
                }
                put(specs, spec(name.textValue(), item, source + ": " + name.textValue()), source);
            }
        } else {
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                put(specs, spec(e.getKey(), e.getValue(), source + ": " + e.getKey()), source);
            }
        }
        return new IoSchema(specs);
    }

    private static void put(Map<String, TensorSpec> specs, TensorSpec spec, String source) {
        if (specs.put(spec.name(), spec) != null) {
            throw new IllegalArgumentException(source + ": '" + spec.name() + "' is declared twice");
        }
        if (spec.textGeneration() != null && specs.values().stream()
                .filter(s -> spec.textGeneration().equals(s.textGeneration())).count() > 1) {
            throw new IllegalArgumentException(source + ": " + spec.name() + ".text_generation: \""
                    + spec.textGeneration() + "\" is declared on more than one tensor");
        }
    }

    private static TensorSpec spec(String name, JsonNode node, String where) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": expected an object with datatype, shape, required, example");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!List.of("name", "datatype", "required", "shape", "example", "text_generation").contains(field)) {
                throw new IllegalArgumentException(where + "." + field
                        + ": unknown field (expected datatype, shape, required, example, text_generation)");
            }
        }
        JsonNode dt = node.get("datatype");
        if (dt == null || !dt.isTextual()) {
            throw new IllegalArgumentException(where + ".datatype: required, a string such as STRING, INT64, FP32");
        }
        Datatype datatype;
        try {
            datatype = Datatype.parse(dt.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ".datatype: " + e.getMessage());
        }
        JsonNode req = node.get("required");
        if (req != null && !req.isBoolean()) {
            throw new IllegalArgumentException(where + ".required: expected true or false");
        }
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray() || shapeNode.isEmpty()) {
            throw new IllegalArgumentException(where + ".shape: required, a non-empty list of sizes (-1 = any length)");
        }
        List<Long> shape = new ArrayList<>();
        for (JsonNode d : shapeNode) {
            if (!d.isIntegralNumber() || d.longValue() < -1) {
                throw new IllegalArgumentException(where + ".shape: sizes must be integers >= 0, or -1 for any length; got " + d);
            }
            shape.add(d.longValue());
        }
        JsonNode example = node.get("example");
        JsonNode use = node.get("text_generation");
        if (use != null && !(use.isTextual() && List.of(TextGenerationIo.PROMPT, TextGenerationIo.TEXT).contains(use.textValue()))) {
            throw new IllegalArgumentException(where + ".text_generation: \"" + TextGenerationIo.PROMPT + "\" (the input taking"
                    + " the prompt) or \"" + TextGenerationIo.TEXT + "\" (the output carrying the text), got " + use);
        }
        TensorSpec spec = new TensorSpec(name, datatype, req == null || req.booleanValue(), shape, example,
                use == null ? null : use.textValue());
        if (example != null) {
            try {
                InputValidator.exampleOf(spec);
            } catch (InvalidInputException e) {
                throw new IllegalArgumentException(where + ".example: " + e.getMessage());
            }
        }
        return spec;
    }
}
