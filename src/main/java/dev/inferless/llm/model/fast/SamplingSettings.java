package dev.inferless.llm.model.fast;

/**
 * Sampling settings for {@link DeviceSampling}. temperature 0 means greedy; topK 0 and topP 1 turn
 * those filters off; repetitionPenalty 1 turns the penalty off.
 */
public record SamplingSettings(double temperature, int topK, double topP, double repetitionPenalty, long seed) {

    public SamplingSettings {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetitionPenalty must be a finite number > 0, got " + repetitionPenalty);
        }
    }

    public static SamplingSettings greedy() {
        return new SamplingSettings(0, 0, 1, 1, 0);
    }
}
