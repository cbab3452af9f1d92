package dev.inferless.models.codellama;

import dev.inferless.api.CancellationToken;
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

    private TextGeneration engine;

    @Override
    public void initialize(ModelContext context) {
        this.engine = context.textGeneration();
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs) {
        return infer(inputs, CancellationToken.untimed());
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs, CancellationToken cancellation) {
        TextGeneration.Completion c = engine.generate(inputs, cancellation, null);
        return outputs(c.text(), c.logprobs(), c);
    }

    /** One chunk per text piece (with its tokens' logprobs when asked), then a last chunk with no text and the counts. */
    @Override
    public void infer(Map<String, Object> inputs, StreamOutputHandler out, CancellationToken cancellation) {
        TextGeneration.Completion c = engine.generate(inputs, cancellation,
                piece -> out.send(outputs(piece.text(), piece.logprobs(), null)));
        out.send(outputs("", c.logprobs(), c));
        out.finish();
    }

    /** generated_result, logprobs when asked, and the counts and finish reason when {@code c} is given. */
    private static Map<String, Object> outputs(String text, String logprobs, TextGeneration.Completion c) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generated_result", text);
        if (c != null) {
            out.put("prompt_tokens", c.promptTokens());
            out.put("output_tokens", c.outputTokens());
            out.put("finish_reason", c.finishReason());
        }
        if (logprobs != null) out.put("logprobs", logprobs);
        return out;
    }
}
