package dev.inferless.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One input or output of a model's schema: name, datatype, whether it is required, its shape
 * (-1 = any length), an optional example (used for the warm-up inference) and, for a text-generation
 * model, the optional {@code text_generation} use ({@link TextGenerationIo}; null when not declared).
 */
public record TensorSpec(String name, Datatype datatype, boolean required, List<Long> shape, JsonNode example,
                         String textGeneration) {

    public TensorSpec {
        shape = List.copyOf(shape);
    }

    /** True when a given shape fits this spec: same rank, and equal sizes where the spec is not -1. */
    public boolean accepts(List<Long> actual) {
        if (actual.size() != shape.size()) {
            return false;
        }
        for (int i = 0; i < shape.size(); i++) {
            if (shape.get(i) != -1 && !shape.get(i).equals(actual.get(i))) {
                return false;
            }
        }
        return true;
    }
}
