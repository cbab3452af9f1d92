package dev.inferless.llm.engine;

import dev.inferless.llm.sampling.TokenLogprobs;
import java.util.function.Consumer;

/**
 * A request's ask for log-probabilities: {@code top} alternatives per token (0 = the chosen token's
 * only), each generated token's {@link TokenLogprobs} handed to {@code sink} as it is taken, before
 * its text is emitted (on the generating thread). A token that ends generation at EOS has none.
 */
public record LogprobsRequest(int top, Consumer<TokenLogprobs> sink) {

    /** OpenAI's largest: 20 alternatives (chat's top_logprobs). */
    public static final int MAX_TOP = 20;

    public LogprobsRequest {
        if (top < 0 || top > MAX_TOP) {
            throw new IllegalArgumentException("logprobs must be from 0 to " + MAX_TOP + ", got " + top);
        }
        if (sink == null) throw new IllegalArgumentException("a logprobs sink is required");
    }
}
