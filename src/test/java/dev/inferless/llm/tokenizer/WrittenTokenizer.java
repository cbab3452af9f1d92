package dev.inferless.llm.tokenizer;

import dev.inferless.llm.checkpoint.synthetic.TokenizerJsonWriter;
import java.nio.file.Path;

/** A tokenizer.json of our own byte-level vocabulary, written into a test's directory and loaded. */
public final class WrittenTokenizer {

    private WrittenTokenizer() {}

    /** BOS 1, EOS {@code eos}, {@code vocabSize} tokens (see {@link TokenizerJsonWriter}). */
    public static Tokenizer load(Path dir, int vocabSize, int eos) {
        Path file = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(file, vocabSize);
        return Tokenizer.load(file, 1, eos);
    }
}
