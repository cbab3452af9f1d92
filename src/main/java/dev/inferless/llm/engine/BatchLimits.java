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
        return new BatchLimits((int) integer(model, "max_batch_size", 16), (int) integer(model, "max_prefill_tokens", 512),
                integer(model, "max_tokens_in_flight", 0), bool(model, "batch_invariant", false));
    }

    private static boolean bool(Map<String, Object> m, String key, boolean fallback) {
        Object v = m.get(key);
        if (v == null) return fallback;
        if (v instanceof Boolean b) return b;
        String text = v.toString().trim();
        if (text.equals("true") || text.equals("false")) return Boolean.parseBoolean(text);
        throw new IllegalArgumentException("model." + key + " must be true or false, got " + v);
    }

    private static long integer(Map<String, Object> m, String key, long fallback) {
        Object v = m.get(key);
        if (v == null) return fallback;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 1e12) {
            return n.longValue();
        }
        if (v instanceof String s && s.trim().matches("-?[0-9]{1,12}")) return Long.parseLong(s.trim());
        throw new IllegalArgumentException("model." + key + " must be an integer, got " + v);
    }
}
