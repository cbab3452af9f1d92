package dev.inferless.llm.checkpoint.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenizerJsonWriterTest {

    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(ints = {300, 354, 512, 4096, 32000})
    void vocabularyHasExactlyTheSizeAndLlamaLayout(int vocabSize) throws Exception {
        Path file = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(file, vocabSize);
        JsonNode model = new ObjectMapper().readTree(file.toFile()).path("model");
        JsonNode vocab = model.path("vocab");

        Set<Integer> ids = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            ids.add(it.next().getValue().asInt());
        }
        assertThat(vocab.size()).isEqualTo(vocabSize);
        assertThat(ids).hasSize(vocabSize).allMatch(id -> id >= 0 && id < vocabSize);
        assertThat(vocab.path("<unk>").asInt()).isZero();
        assertThat(vocab.path("<s>").asInt()).isEqualTo(1);
        assertThat(vocab.path("</s>").asInt()).isEqualTo(2);
        for (int b = 0; b < 256; b++) {
            assertThat(vocab.path(String.format("<0x%02X>", b)).asInt(-1)).isEqualTo(3 + b);
        }
        assertThat(model.path("byte_fallback").asBoolean()).isTrue();
        for (JsonNode merge : model.path("merges")) {
            String[] parts = merge.asText().split(" ");
            assertThat(parts).hasSize(2);
            assertThat(vocab.has(parts[0]) && vocab.has(parts[1]) && vocab.has(parts[0] + parts[1]))
                    .as("merge %s: parts and result in the vocabulary", merge).isTrue();
        }
    }

    @Test
    void tooSmallVocabularyIsRejected() {
        assertThatThrownBy(() -> TokenizerJsonWriter.write(dir.resolve("t.json"), 299))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocabSize");
    }

    @ParameterizedTest
    @ValueSource(ints = {300, 512, 32000})
    void djlRoundTripsCodeAndMultiByteText(int vocabSize) {
        Path file = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(file, vocabSize);
        try (Tokenizer tok = Tokenizer.load(file, 1, 2)) {
            for (String text : new String[] {
                    "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
                    "import numpy as np\nprint(np.sum([1, 2, 3]))",
                    "  leading spaces and trailing  ",
                    "caf\u00e9 \u4e2d\u6587 \uD83D\uDE00 na\u00efve\ttab",
                    "x"}) {
                int[] ids = tok.encode(text);
                assertThat(ids[0]).isEqualTo(1);
                assertThat(tok.decode(ids)).isEqualTo(text);
            }
        }
    }

    @Test
    void codeWordsAreSinglePiecesAndUnknownCharactersUseBytes() {
        Path file = dir.resolve("tokenizer.json");
        TokenizerJsonWriter.write(file, 512);
        try (Tokenizer tok = Tokenizer.load(file, 1, 2)) {
            // <s>, "▁def", "▁", "f"... : "def" after the prepended '▁' is one piece
            int[] ids = tok.encode("def");
            assertThat(ids).hasSize(2);
            assertThat(tok.decode(new int[] {ids[1]})).isEqualTo("def");
            int[] accented = tok.encode("\u00e9"); // é = C3 A9, no piece of its own
            assertThat(accented).containsSubsequence(3 + 0xC3, 3 + 0xA9);
            assertThat(tok.isByteToken(3 + 0xC3)).isTrue();
            assertThat(tok.isSpecialToken(2)).isTrue();
            assertThat(tok.vocabSize()).isEqualTo(512);
        }
    }
}
