package dev.inferless.schema;

import java.util.List;
import java.util.Optional;

/**
 * Which input of a text-generation model takes the prompt and which output carries the generated
 * text: the input that declares {@code "text_generation": "prompt"} and the output that declares
 * {@code "text_generation": "text"} in the schemas, else the model's only STRING input or output.
 * The text protocols (OpenAI, the OIP generate extension) map to these names, never to guessed ones.
 */
public record TextGenerationIo(String promptInput, String textOutput) {

    public static final String PROMPT = "prompt";
    public static final String TEXT = "text";

    /** Empty when the model has no such input or output: it serves no text protocol. */
    public static Optional<TextGenerationIo> of(IoSchema inputs, IoSchema outputs) {
        Optional<String> prompt = declaredOrOnlyString(inputs, PROMPT);
        Optional<String> text = declaredOrOnlyString(outputs, TEXT);
        return prompt.isPresent() && text.isPresent()
                ? Optional.of(new TextGenerationIo(prompt.get(), text.get())) : Optional.empty();
    }

    private static Optional<String> declaredOrOnlyString(IoSchema schema, String use) {
        List<String> declared = schema.specs().values().stream()
                .filter(s -> use.equals(s.textGeneration())).map(TensorSpec::name).toList();
        if (!declared.isEmpty()) return Optional.of(declared.get(0)); // IoSchema allows one per use
        List<String> strings = schema.specs().values().stream()
                .filter(s -> s.datatype() == Datatype.STRING).map(TensorSpec::name).toList();
        return strings.size() == 1 ? Optional.of(strings.get(0)) : Optional.empty();
    }
}
