package dev.inferless.llm.checkpoint.synthetic;

import dev.inferless.llm.checkpoint.LlamaConfig;

/** The model shapes the checkpoint maker knows. */
public final class ModelShapes {

    private ModelShapes() {}

    /** "tiny" (fast tests) or "codellama-34b" (CodeLlama-34B-Python's exact configuration). */
    public static LlamaConfig config(String shape) {
        return switch (shape) {
            case "tiny" -> new LlamaConfig(128, 384, 2, 4, 2, 32, 512, 256, 1e-5, 1e6, 1.0, false, 1, 2);
            case "codellama-34b" -> new LlamaConfig(8192, 22016, 48, 64, 8, 128, 32000, 16384, 1e-5, 1e6, 1.0,
                    false, 1, 2);
            default -> throw new IllegalArgumentException("shape " + shape + " is not known (tiny or codellama-34b)");
        };
    }
}
