package dev.inferless.llm.engine;

import java.util.Map;

/**
 * Bounds of a continuous batch: sequences in it (prefilling or decoding); prompt tokens run per
 * step (chunked prefill: new prompts delay running decodes by at most this much work per step);
 * KV-cache positions reserved by running sequences, prompt + max_tokens each (0 = no bound; a
 * sequence over the bound alone still runs, alone). {@code batchInvariant}: a sequence's results
 * must not depend on what else the batch holds (see {@link ContinuousBatcher}).
 */
public record BatchLimits(int maxBatchSize, int maxPrefillTokens, long maxTokensInFlight, boolean batchInvariant) {

    public BatchLimits {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("model.max_batch_size must be at least 1, got " + maxBatchSize);
        }
        if (maxPrefillTokens < 1) {
            throw new IllegalArgumentException("model.max_prefill_tokens must be at least 1, got " + maxPrefillTokens);
        }
        if (maxTokensInFlight < 0) {
            throw new IllegalArgumentException("model.max_tokens_in_flight must be >= 0 (0 = no bound), got "
                    + maxTokensInFlight);
        }
    }

    /** Batches whose rows may depend on each other in the last bits (the default: faster). */
    public BatchLimits(int maxBatchSize, int maxPrefillTokens, long maxTokensInFlight) {
        this(maxBatchSize, maxPrefillTokens, maxTokensInFlight, false);
    }

    /**
     * From a model repo's {@code model:} section: max_batch_size (16), max_prefill_tokens (512),
     * max_tokens_in_flight (0), batch_invariant (false).
     */
    public static BatchLimits from(Map<String, Object> model) {
        return new BatchLimits(SettingValues.int32(model, "max_batch_size", 16, "model."),
                SettingValues.int32(model, "max_prefill_tokens", 512, "model."),
                SettingValues.integer(model, "max_tokens_in_flight", 0, "model."),
                SettingValues.bool(model, "batch_invariant", false, "model."));
    }
}
