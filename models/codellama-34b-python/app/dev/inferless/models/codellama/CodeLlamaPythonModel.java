package dev.inferless.models.codellama;

import dev.inferless.api.InferlessModel;
import dev.inferless.api.ModelContext;
import dev.inferless.api.StreamOutputHandler;
import dev.inferless.api.TextGeneration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CodeLlama-34B-Python: the runtime loads the checkpoint config.yaml names and runs the batch;
 * this class maps the generation to this repo's outputs (output_schema.json).
 */
public class CodeLlamaPythonModel implements InferlessModel {

    private ModelContext context;
    private TextGeneration engine;

    @Override
    public void initialize(ModelContext context) {
        this.context = context;
        this.engine = context.textGeneration();
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs) {
        return outputs(engine.generate(inputs, context.cancelled(), piece -> {}), null);
    }

    /** One chunk per text piece, then a last chunk with no text and the counts and finish reason. */
    @Override
    public void infer(Map<String, Object> inputs, StreamOutputHandler out) {
        out.send(outputs(engine.generate(inputs, context.cancelled(),
                piece -> out.send(Map.of("generated_result", piece))), ""));
        out.finish();
    }

    /** The outputs; {@code text} replaces the generated text when given (the empty last chunk of a stream). */
    private static Map<String, Object> outputs(TextGeneration.Completion c, String text) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generated_result", text == null ? c.text() : text);
        out.put("prompt_tokens", c.promptTokens());
        out.put("output_tokens", c.outputTokens());
        out.put("finish_reason", c.finishReason());
        return out;
    }
}
