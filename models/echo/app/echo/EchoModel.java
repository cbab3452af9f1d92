package echo;

import dev.inferless.api.InferlessModel;
import dev.inferless.api.ModelContext;
import java.util.Map;

/** Answers with its prompt: the smallest working model. Replace the body of infer with yours. */
public class EchoModel implements InferlessModel {

    private ModelContext context;

    @Override
    public void initialize(ModelContext context) {
        this.context = context;
        context.logger().log(System.Logger.Level.INFO, "initialized on device " + context.device());
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs) {
        String prompt = (String) inputs.get("prompt");
        context.count("echo_characters", "Characters echoed back", prompt.length());
        return Map.of("generated_result", prompt);
    }

    @Override
    public void finalize(ModelContext context) {
        context.logger().log(System.Logger.Level.INFO, "finalized");
    }
}
