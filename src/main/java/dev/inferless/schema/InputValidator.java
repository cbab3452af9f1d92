package dev.inferless.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks inputs against a model's input schema and turns them into what {@code infer} receives:
 * an input of shape [1] becomes a plain value (String, Long, Double, Boolean), any other shape a
 * flat list in row-major order. Every error names the input.
 */
public final class InputValidator {

    private InputValidator() {}

    public static Map<String, Object> validate(IoSchema schema, List<RequestInput> inputs) throws InvalidInputException {
        Map<String, Object> values = new LinkedHashMap<>();
        for (RequestInput input : inputs) {
            TensorSpec spec = schema.spec(input.name()).orElseThrow(() -> new InvalidInputException(
                    "unknown input '" + input.name() + "' (the model takes: " + String.join(", ", schema.specs().keySet()) + ")"));
            if (values.containsKey(input.name())) {
                throw new InvalidInputException("input '" + input.name() + "' is given twice");
            }
            values.put(input.name(), value(spec, input));
        }
        for (TensorSpec spec : schema.specs().values()) {
            if (spec.required() && !values.containsKey(spec.name())) {
                throw new InvalidInputException("missing required input '" + spec.name() + "'");
            }
        }
        return values;
    }

    /** The request input a spec's example describes: a scalar or a (nested) list of values. */
    public static RequestInput exampleOf(TensorSpec spec) throws InvalidInputException {
        List<JsonNode> flat = new ArrayList<>();
        RequestInput.flatten(spec.example(), flat);
        List<Long> shape = new ArrayList<>(spec.shape());
        long fixed = 1;
        int open = -1;
        for (int i = 0; i < shape.size(); i++) {
            if (shape.get(i) == -1) {
                if (open >= 0) {
                    throw new InvalidInputException("cannot infer a shape with several -1 sizes from a flat example");
                }
                open = i;
            } else {
                fixed *= shape.get(i);
            }
        }
        if (open >= 0) {
            shape.set(open, fixed == 0 ? 0 : flat.size() / fixed);
        }
        RequestInput input = new RequestInput(spec.name(), null, shape, flat);
        value(spec, input);
        return input;
    }

    private static Object value(TensorSpec spec, RequestInput input) throws InvalidInputException {
        String name = spec.name();
        if (input.datatype() != null) {
            Datatype declared;
            try {
                declared = Datatype.parse(input.datatype());
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("input '" + name + "': " + e.getMessage());
            }
            if (!declared.convertsTo(spec.datatype())) {
                throw new InvalidInputException("input '" + name + "': datatype " + input.datatype()
                        + " does not match the schema's " + spec.datatype().wireName()
                        + (spec.datatype() == Datatype.STRING || declared == Datatype.STRING || declared == Datatype.BOOL
                            ? "" : " (numbers convert only within range and never from floating point to integer)"));
            }
        }
        for (long d : input.shape()) {
            if (d < 0) {
                throw new InvalidInputException("input '" + name + "': shape " + input.shape() + " has a negative size");
            }
        }
        if (!spec.accepts(input.shape())) {
            throw new InvalidInputException("input '" + name + "': shape " + input.shape()
                    + " does not match the schema's " + spec.shape() + " (-1 = any length)");
        }
        long count = input.shape().stream().reduce(1L, Math::multiplyExact);
        if (count != input.data().size()) {
            throw new InvalidInputException("input '" + name + "': shape " + input.shape() + " needs " + count
                    + " values, got " + input.data().size());
        }
        List<Object> values = new ArrayList<>(input.data().size());
        for (int i = 0; i < input.data().size(); i++) {
            try {
                values.add(spec.datatype().toValue(input.data().get(i)));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("input '" + name + "'" + (count == 1 ? "" : "[" + i + "]") + ": " + e.getMessage());
            }
        }
        return input.shape().equals(List.of(1L)) ? values.get(0) : values;
    }
}
