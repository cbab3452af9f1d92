package dev.inferless.llm.sampling;

import java.util.Map;

/**
 * How to pick the next token. {@code temperature} 0 is greedy; {@code topK} 0 and {@code topP} 1
 * disable those filters; {@code repetitionPenalty} 1 disables the penalty; {@code presencePenalty}
 * and {@code frequencyPenalty} (OpenAI's, -2 to 2) subtract from a token's logit once if the output
 * holds it, and once per time it does, 0 disabling them; {@code logitBias} (OpenAI's) adds to the
 * logits of the tokens it names (-100 to 100 each; empty: none). Field names in errors are the
 * request's (max_tokens, top_p, ...), since that is what a client can fix.
 */
public record SamplingParams(double temperature, int topK, double topP, double repetitionPenalty,
                             double presencePenalty, double frequencyPenalty, Map<Integer, Double> logitBias) {

    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1, 1);
    /** OpenAI's bound on presence_penalty and frequency_penalty, either sign. */
    public static final double MAX_OUTPUT_PENALTY = 2;
    /** OpenAI's bounds on logit_bias: the tokens it may name, and each bias, either sign. */
    public static final int MAX_LOGIT_BIAS_TOKENS = 300;
    public static final double MAX_LOGIT_BIAS = 100;

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
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
        if (logitBias.size() > MAX_LOGIT_BIAS_TOKENS) {
            throw new IllegalArgumentException("logit_bias may name at most " + MAX_LOGIT_BIAS_TOKENS + " tokens, got "
                    + logitBias.size());
        }
        for (Map.Entry<Integer, Double> e : logitBias.entrySet()) {
            if (e.getKey() < 0) throw new IllegalArgumentException("logit_bias: token ids are >= 0, got " + e.getKey());
            if (!(Math.abs(e.getValue()) <= MAX_LOGIT_BIAS)) {
                throw new IllegalArgumentException("logit_bias: a bias must be a number from -100 to 100, got "
                        + e.getValue() + " for token " + e.getKey());
            }
        }
    }

    /** Without the output penalties and the logit bias. */
    public SamplingParams(double temperature, int topK, double topP, double repetitionPenalty) {
        this(temperature, topK, topP, repetitionPenalty, 0, 0, Map.of());
    }

    /** Without the logit bias. */
    public SamplingParams(double temperature, int topK, double topP, double repetitionPenalty,
                          double presencePenalty, double frequencyPenalty) {
        this(temperature, topK, topP, repetitionPenalty, presencePenalty, frequencyPenalty, Map.of());
    }

    public boolean greedy() {
        return temperature == 0;
    }

    /** True when the presence or frequency penalty is on: sampling needs the output's token counts. */
    public boolean penalizesOutput() {
        return presencePenalty != 0 || frequencyPenalty != 0;
    }

    /** True when a setting only the host's sampler implements is on (the output penalties, the logit bias). */
    public boolean needsHostSampler() {
        return penalizesOutput() || !logitBias.isEmpty();
    }
}
