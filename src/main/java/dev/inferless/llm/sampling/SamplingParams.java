package dev.inferless.llm.sampling;

/**
 * How to pick the next token. {@code temperature} 0 is greedy; {@code topK} 0 and {@code topP} 1
 * disable those filters; {@code repetitionPenalty} 1 disables the penalty. Field names in errors
 * are the request's (max_tokens, top_p, ...), since that is what a client can fix.
 */
public record SamplingParams(double temperature, int topK, double topP, double repetitionPenalty) {

    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1, 1);

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a finite number > 0, got " + repetitionPenalty);
        }
    }

    public boolean greedy() {
        return temperature == 0;
    }
}
