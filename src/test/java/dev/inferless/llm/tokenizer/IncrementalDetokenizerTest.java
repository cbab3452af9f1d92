package dev.inferless.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.llm.checkpoint.synthetic.TokenizerJsonWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IncrementalDetokenizerTest {

    private static final int BYTE0 = 3;
    private static Tokenizer tok;

    @BeforeAll
    static void load(@TempDir Path dir) {
        tok = WrittenTokenizer.load(dir, 512, 2);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    private static List<String> stream(int[] ids) {
        IncrementalDetokenizer detok = tok.newDetokenizer();
        List<String> pieces = new ArrayList<>();
        for (int id : ids) pieces.add(detok.add(id));
        pieces.add(detok.finish());
        return pieces;
    }

    @Test
    void multiByteCharacterSplitOverByteTokensIsHeldUntilTheRunEnds() {
        int x = TokenizerJsonWriter.buildVocabulary(512).ids().get("x");
        List<String> pieces = stream(new int[] {BYTE0 + 0xC3, BYTE0 + 0xA9, x});
        assertThat(pieces).containsExactly("", "", "\u00e9x", "");
        // ended by the end of generation instead of a non-byte token
        assertThat(stream(new int[] {BYTE0 + 0xE4, BYTE0 + 0xB8, BYTE0 + 0xAD})).containsExactly("", "", "", "\u4e2d");
    }

    @Test
    void leadingSpaceOfTheFirstTokenIsStrippedOnlyOnce() {
        int[] ids = tok.encode("def f(x): return x");
        int[] withoutBos = java.util.Arrays.copyOfRange(ids, 1, ids.length);
        List<String> pieces = stream(withoutBos);
        assertThat(pieces.get(0)).isEqualTo("def");
        assertThat(String.join("", pieces)).isEqualTo("def f(x): return x");
        int space = tok.encode(" ")[1]; // "▁▁" or "▁": text made only of spaces
        int[] spaceFirst = {1, space, withoutBos[0]};
        assertThat(String.join("", stream(spaceFirst))).isEqualTo(tok.decode(spaceFirst));
    }

    @Test
    void invalidByteRunsBecomeReplacementCharactersExactlyAsInFullDecode() {
        int a = TokenizerJsonWriter.buildVocabulary(512).ids().get("a");
        // é complete, then a lone lead byte, then a normal piece: the whole run decodes to U+FFFD per byte
        int[] ids = {a, BYTE0 + 0xC3, BYTE0 + 0xA9, BYTE0 + 0xE4, a};
        assertThat(String.join("", stream(ids))).isEqualTo(tok.decode(ids));
        assertThat(tok.decode(ids)).contains("\uFFFD");
    }

    @Test
    void piecesConcatenateToTheFullDecodeForRandomSequences() {
        Random random = new Random(42);
        for (int trial = 0; trial < 1500; trial++) {
            int[] ids = randomTokens(random, 1 + random.nextInt(40));
            List<String> pieces = stream(ids);
            assertThat(String.join("", pieces)).as("tokens %s", java.util.Arrays.toString(ids)).isEqualTo(tok.decode(ids));
        }
    }

    @Test
    void streamingEncodedTextNeverEmitsReplacementCharacters() {
        Random random = new Random(7);
        String alphabet = "ab def return\n\t\u00e9\u00fc\u4e2d\u6587\uD83D\uDE00\uD83D\uDC0D()[]:";
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder text = new StringBuilder();
            int len = 1 + random.nextInt(30);
            while (text.length() < len) {
                int i = random.nextInt(alphabet.length());
                char c = alphabet.charAt(i);
                if (Character.isHighSurrogate(c)) text.append(c).append(alphabet.charAt(i + 1));
                else if (!Character.isLowSurrogate(c)) text.append(c);
            }
            int[] ids = tok.encode(text.toString());
            List<String> pieces = stream(ids);
            assertThat(pieces).allSatisfy(p -> assertThat(p).doesNotContain("\uFFFD"));
            assertThat(pieces).allSatisfy(p -> assertThat(p.isEmpty()
                    || (!Character.isLowSurrogate(p.charAt(0)) && !Character.isHighSurrogate(p.charAt(p.length() - 1)))).isTrue());
            assertThat(String.join("", pieces)).isEqualTo(text.toString());
        }
    }

    /** Mixes ordinary pieces, byte tokens (often valid UTF-8 runs, sometimes broken ones) and specials. */
    private static int[] randomTokens(Random random, int length) {
        List<Integer> ids = new ArrayList<>();
        while (ids.size() < length) {
            int kind = random.nextInt(10);
            if (kind < 4) {
                ids.add(259 + random.nextInt(tok.vocabSize() - 259));
            } else if (kind < 7) {
                String ch = new String(Character.toChars(0x80 + random.nextInt(0x1F600)));
                for (byte b : ch.getBytes(java.nio.charset.StandardCharsets.UTF_8)) ids.add(BYTE0 + (b & 0xFF));
            } else if (kind < 9) {
                ids.add(BYTE0 + random.nextInt(256));
            } else {
                ids.add(random.nextInt(3));
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }
}
