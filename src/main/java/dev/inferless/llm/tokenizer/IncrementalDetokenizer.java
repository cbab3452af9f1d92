package dev.inferless.llm.tokenizer;

import java.util.Arrays;

/**
 * Turns generated token ids into text pieces for streaming. The pieces never contain a broken
 * UTF-8 sequence, and their concatenation (after {@link #finish}) is exactly
 * {@code tokenizer.decode(all tokens)}.
 *
 * <p>Why it holds text back: the byte-fallback decoder turns a run of byte tokens into text only
 * as a whole (an incomplete or invalid run becomes one U+FFFD per byte), so text from a run is
 * final only once a non-byte token ends it; and the decoder strips one leading space from the
 * whole text only, so later windows are decoded behind an anchor piece that has no leading space.
 */
public final class IncrementalDetokenizer {

    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tokenizer;
    private final String anchorText;
    private int[] tokens = new int[32];
    private int size;
    /** First token whose text has not been emitted; 0 until some non-empty text was emitted. */
    private int start;

    IncrementalDetokenizer(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.anchorText = tokenizer.decode(new int[] {tokenizer.anchorId()});
    }

    /** Adds one token; returns the text that is now final (often empty). */
    public String add(int token) {
        if (size == tokens.length) {
            tokens = Arrays.copyOf(tokens, size * 2);
        }
        tokens[size++] = token;
        if (inByteRun()) {
            return "";
        }
        String text = pendingText();
        if (text.isEmpty() || text.charAt(text.length() - 1) == REPLACEMENT) {
            return "";
        }
        start = size;
        return text;
    }

    /** Returns whatever text is still held back; call once when generation ends. */
    public String finish() {
        String text = pendingText();
        if (!text.isEmpty()) {
            start = size;
        }
        return text;
    }

    /** True when the last non-special token is a byte token: its run may still grow. */
    private boolean inByteRun() {
        for (int i = size - 1; i >= start; i--) {
            if (!tokenizer.isSpecialToken(tokens[i])) {
                return tokenizer.isByteToken(tokens[i]);
            }
        }
        return false;
    }

    private String pendingText() {
        if (start == 0) {
            return tokenizer.decode(tokens, 0, size);
        }
        int[] window = new int[size - start + 1];
        window[0] = tokenizer.anchorId();
        System.arraycopy(tokens, start, window, 1, size - start);
        String text = tokenizer.decode(window);
        if (!text.startsWith(anchorText)) {
            throw new IllegalStateException("tokenizer decodes its anchor piece differently in context: " + text);
        }
        return text.substring(anchorText.length());
    }
}
