package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.List;

/** A prompt's tokens checked against the context window, and the output budget it leaves. */
record PromptTokens(int[] tokens, int budget) {

    /** Room for normalizers that shrink text (composing characters) before the pieces are matched. */
    private static final int NORMALIZER_MARGIN = 4;

    /** The configured context window (0 = the model's max_position_embeddings), checked against the model's. */
    static int contextWindow(int configured, int modelWindow) {
        if (configured < 0 || configured > modelWindow) {
            throw new IllegalArgumentException("max_context must be between 0 (the model's) and the model's "
                    + modelWindow + ", got " + configured);
        }
        return configured == 0 ? modelWindow : configured;
    }

    /**
     * The request's prompt tokens (its text tokenized, or its token ids as given) and the output
     * budget: max_tokens, clipped to the room the prompt leaves, or with {@code maxTokensMustFit}
     * refused when it does not fit (OpenAI's error and code).
     *
     * @throws BadInputException when the prompt is empty, holds an id outside the vocabulary, or
     *     leaves no room for one output token (or for max_tokens, when it must fit)
     */
    static PromptTokens of(Tokenizer tokenizer, GenerationRequest request, int contextWindow) {
        int[] tokens = request.promptTokenIds() != null ? ids(request.promptTokenIds(), tokenizer.vocabSize())
                : tokenize(tokenizer, request.prompt(), contextWindow);
        int maxTokens = request.maxTokens();
        if (request.maxTokensMustFit() && (long) tokens.length + maxTokens > contextWindow) {
            throw new BadInputException("This model's maximum context length is " + contextWindow + " tokens. However, "
                    + "you requested " + ((long) tokens.length + maxTokens) + " tokens (" + tokens.length + " in the prompt, "
                    + maxTokens + " for the completion). Please reduce the prompt or max_tokens.",
                    BadInputException.CONTEXT_LENGTH_EXCEEDED);
        }
        if (tokens.length + 1 > contextWindow) {
            throw new BadInputException(
                    "prompt has " + tokens.length + " tokens; the context window is " + contextWindow);
        }
        return new PromptTokens(tokens, Math.min(maxTokens, contextWindow - tokens.length));
    }

    private static int[] tokenize(Tokenizer tokenizer, String prompt, int contextWindow) {
        // A cheap bound first: tokenizing megabytes costs seconds and gigabytes only to be refused.
        long maxBytes = (long) contextWindow * tokenizer.maxPieceBytes() * NORMALIZER_MARGIN;
        long bytes = utf8Length(prompt, maxBytes);
        if (bytes > maxBytes) {
            throw new BadInputException("prompt is over " + maxBytes + " bytes, more than a context window of "
                    + contextWindow + " tokens can hold with this tokenizer");
        }
        int[] tokens = tokenizer.encode(prompt);
        if (tokens.length == 0) {
            throw new BadInputException("prompt is empty (and this tokenizer adds no BOS token)");
        }
        return tokens;
    }

    private static int[] ids(List<Integer> ids, int vocab) {
        if (ids.isEmpty()) throw new BadInputException("prompt_token_ids is empty");
        int[] tokens = new int[ids.size()];
        for (int i = 0; i < tokens.length; i++) {
            int id = ids.get(i);
            if (id < 0 || id >= vocab) {
                throw new BadInputException("prompt_token_ids: token " + id + " is outside the vocabulary of " + vocab + " tokens");
            }
            tokens[i] = id;
        }
        return tokens;
    }

    /** The UTF-8 length of {@code text}, counted up to just past {@code limit}. */
    private static long utf8Length(String text, long limit) {
        long n = 0;
        for (int i = 0; i < text.length() && n <= limit; i++) {
            char c = text.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3; // a surrogate pair: 4 bytes
        }
        return n;
    }
}
