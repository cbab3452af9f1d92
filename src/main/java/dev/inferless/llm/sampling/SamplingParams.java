package dev.inferless.llm.sampling;

/**
 * How to pick the next token. {@code temperature} 0 is greedy; {@code topK} 0 and {@code topP} 1
 * disable those filters; {@code repetitionPenalty} 1 disables the penalty; {@code presencePenalty}
 * and {@code frequencyPenalty} (OpenAI's, -2 to 2) subtract from a token's logit once if the output
 * holds it, and once per time it does, 0 disabling them. Field names in errors are the request's
 * (max_tokens, top_p, ...), since that is what a client can fix.
 */
public record SamplingParams(double temperature, int topK, double topP, double repetitionPenalty,
                             double presencePenalty, double frequencyPenalty) {

    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1, 1);
    /** OpenAI's bound on presence_penalty and frequency_penalty, either sign. */
    public static final double MAX_OUTPUT_PENALTY = 2;

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
        if (!(Math.abs(presencePenalty) <= MAX_OUTPUT_PENALTY)) {
            throw new IllegalArgumentException("presence_penalty must be a number from -2 to 2, got " + presencePenalty);
        }
        if (!(Math.abs(frequencyPenalty) <= MAX_OUTPUT_PENALTY)) {
            throw new IllegalArgumentException("frequency_penalty must be a number from -2 to 2, got " + frequencyPenalty);
        }
    }

    /** Without the output penalties. */
    public SamplingParams(double temperature, int topK, double topP, double repetitionPenalty) {
        this(temperature, topK, topP, repetitionPenalty, 0, 0);
    }

    public boolean greedy() {
        return temperature == 0;
    }

    /** True when the presence or frequency penalty is on: sampling needs the output's token counts. */
    public boolean penalizesOutput() {
        return presencePenalty != 0 || frequencyPenalty != 0;
    }
}
