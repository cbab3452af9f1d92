package dev.inferless.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.synthetic.TokenizerJsonWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {

    @TempDir Path dir;

    private Path written() {
        Path file = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(file, 512);
        return file;
    }

    @Test
    void longPromptsAreNeverTruncated() {
        String text = "def f(x):\n    return x * 2  # double\n".repeat(200);
        try (Tokenizer tok = Tokenizer.load(written(), 1, 2)) {
            int[] ids = tok.encode(text);
            assertThat(ids.length).isGreaterThan(2000);
            assertThat(tok.decode(ids)).isEqualTo(text);
        }
    }

    @Test
    void bosFollowsTokenizerConfig() throws Exception {
        Path file = written();
        try (Tokenizer tok = Tokenizer.load(file, 1, 2)) {
            assertThat(tok.encode("x")[0]).isEqualTo(1);
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"add_bos_token\": false}");
        try (Tokenizer tok = Tokenizer.load(file, 1, 2)) {
            int[] ids = tok.encode("x");
            assertThat(ids).doesNotContain(1);
            assertThat(tok.decode(ids)).isEqualTo("x");
        }
    }

    @Test
    void decodeSkipsSpecialTokens() {
        try (Tokenizer tok = Tokenizer.load(written(), 1, 2)) {
            int[] ids = tok.encode("return x");
            int[] withEos = java.util.Arrays.copyOf(ids, ids.length + 1);
            withEos[ids.length] = 2;
            assertThat(tok.decode(withEos)).isEqualTo("return x");
        }
    }

    @Test
    void badFilesAndIdsAreNamed() throws Exception {
        Path file = written();
        assertThatThrownBy(() -> Tokenizer.load(file, 1, 600)).hasMessageContaining("eos_token_id 600");
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("missing.json"), 1, 2)).hasMessageContaining("missing.json");
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"model\": {}}");
        assertThatThrownBy(() -> Tokenizer.load(bad, 1, 2)).hasMessageContaining("model.vocab");
    }
}
