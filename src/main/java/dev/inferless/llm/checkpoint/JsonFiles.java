package dev.inferless.llm.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading the small JSON files of a checkpoint, with errors that name file and field. */
final class JsonFiles {

    static final ObjectMapper JSON = new ObjectMapper();

    private JsonFiles() {}

    static JsonNode read(Path file) {
        try {
            JsonNode root = JSON.readTree(Files.readString(file));
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException(file + ": not a JSON object");
            }
            return root;
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read JSON: " + e.getMessage(), e);
        }
    }

    static int requiredInt(Path file, JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException(file + ": missing field " + field);
        }
        return intValue(file, field, value);
    }

    static int optionalInt(Path file, JsonNode node, String field, int fallback) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? fallback : intValue(file, field, value);
    }

    static double optionalDouble(Path file, JsonNode node, String field, double fallback) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) return fallback;
        if (!value.isNumber()) {
            throw new IllegalArgumentException(file + ": field " + field + " must be a number, got " + value);
        }
        return value.asDouble();
    }

    static boolean optionalBoolean(Path file, JsonNode node, String field, boolean fallback) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) return fallback;
        if (!value.isBoolean()) {
            throw new IllegalArgumentException(file + ": field " + field + " must be true or false, got " + value);
        }
        return value.asBoolean();
    }

    static String optionalText(Path file, JsonNode node, String field, String fallback) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) return fallback;
        if (!value.isTextual()) {
            throw new IllegalArgumentException(file + ": field " + field + " must be a string, got " + value);
        }
        return value.asText();
    }

    private static int intValue(Path file, String field, JsonNode value) {
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new IllegalArgumentException(file + ": field " + field + " must be an integer, got " + value);
        }
        return value.asInt();
    }
}
