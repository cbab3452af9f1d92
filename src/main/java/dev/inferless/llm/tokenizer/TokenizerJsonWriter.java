package dev.inferless.llm.tokenizer;

import java.nio.file.Path;

/**
 * Writes a small Llama-style tokenizer.json (BPE with byte fallback, &lt;unk&gt;=0, &lt;s&gt;=1,
 * &lt;/s&gt;=2) of exactly {@code vocabSize} tokens, for the checkpoints the project makes itself.
 */
public final class TokenizerJsonWriter {

    private TokenizerJsonWriter() {}

    public static void write(Path file, int vocabSize) {
        throw new UnsupportedOperationException("tokenizer writer is being written (issue 3)");
    }
}
