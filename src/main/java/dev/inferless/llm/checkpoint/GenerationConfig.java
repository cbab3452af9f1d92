package dev.inferless.llm.checkpoint;

/** Defaults from generation_config.json; absent fields fall back to the reference workload's values. */
public record GenerationConfig(double temperature, double topP, int topK, int maxNewTokens) {

    public static GenerationConfig defaults() {
        return new GenerationConfig(1.0, 1.0, 0, 512);
    }
}
