package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.api.BadInputException;
import dev.inferless.llm.tokenizer.ChatTemplate;
import dev.inferless.llm.tokenizer.Tokenizer;
import dev.inferless.llm.tokenizer.WrittenTokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What one request may ask of the shared engine before it is refused: prompt bytes, stop strings. */
class RequestBoundsTest {

    private static final int CONTEXT = 256;
    private static Tokenizer tok;

    @BeforeAll
    static void load(@TempDir Path dir) {
        tok = WrittenTokenizer.load(dir, ScriptedModel.VOCAB, ScriptedModel.EOS);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    private static Generator generator() {
        int[] ids = tok.encode(" x");
        return new Generator(ScriptedModel.scripted(CONTEXT, Arrays.copyOfRange(ids, 1, ids.length)), tok, 0);
    }

    @Test
    void aPromptTooLongInBytesForTheContextIsRefusedBeforeTokenizing() {
        String huge = "def f(x): return x\n".repeat(500_000); // ~10 MB
        assertThatThrownBy(() -> generator().generate(Requests.greedy(huge, 4)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("bytes, more than a context window of " + CONTEXT + " tokens can hold");
    }

    /** With an explicit max_tokens too: the context rule is checked once, where the prompt is tokenized. */
    @Test
    void aPromptTooLongInBytesWithAnExplicitMaxTokensIsRefusedBeforeTokenizingToo() {
        GenerationInputs inputs = new GenerationInputs(TextGenerationSettings.from(Map.of()), new ChatTemplate(ChatTemplate.PLAIN, "", ""));
        String huge = "def f(x): return x\n".repeat(500_000);
        assertThatThrownBy(() -> generator().generate(inputs.request(Map.of("prompt", huge, "max_tokens", 4L), null)))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("bytes, more than a context window of " + CONTEXT + " tokens can hold");
        assertThatThrownBy(() -> generator().generate(inputs.request(Map.of("prompt", "def f():", "max_tokens",
                (long) CONTEXT), null)))
                .isInstanceOf(BadInputException.class).hasMessageContaining("maximum context length is " + CONTEXT)
                .satisfies(e -> assertThat(((BadInputException) e).code()).isEqualTo(BadInputException.CONTEXT_LENGTH_EXCEEDED));
    }

    @Test
    void theByteBoundNeverRefusesAPromptThatFits() {
        // Every character its own token at worst: the longest prompt the context holds passes the byte bound.
        String fits = "a".repeat(CONTEXT - 2);
        assertThat(generator().generate(Requests.greedy(fits, 1)).outputTokens()).isEqualTo(1);
        String multiByte = "\u4e2d".repeat((CONTEXT - 2) / 3);
        assertThat(generator().generate(Requests.greedy(multiByte, 1)).outputTokens()).isEqualTo(1);
    }

    @Test
    void stopStringsAreBoundedInCountAndTotalSize() {
        GenerationInputs model = new GenerationInputs(TextGenerationSettings.from(Map.of()), new ChatTemplate(ChatTemplate.PLAIN, "", ""));
        List<String> many = Collections.nCopies(100_000, "x");
        assertThatThrownBy(() -> model.request(Map.of("prompt", "p", "stop", many), null))
                .isInstanceOf(BadInputException.class).hasMessageContaining("stop: at most 16 strings");
        List<String> long4 = Collections.nCopies(4, "y".repeat(2000));
        assertThatThrownBy(() -> model.request(Map.of("prompt", "p", "stop", long4), null))
                .isInstanceOf(BadInputException.class).hasMessageContaining("stop: at most 4096 characters");
        assertThat(model.request(Map.of("prompt", "p", "stop", Collections.nCopies(16, "z")), null).stop()).hasSize(16);
    }

    /** Each range is checked once, by the record it builds, and still comes back as bad input naming the field. */
    @Test
    void outOfRangeOptionsAreBadInputNamingTheField() {
        GenerationInputs model = new GenerationInputs(TextGenerationSettings.from(Map.of()), new ChatTemplate(ChatTemplate.PLAIN, "", ""));
        assertThatThrownBy(() -> model.request(Map.of("prompt", "p", "logprobs", 21L), t -> {}))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("logprobs must be from 0 to 20");
        assertThatThrownBy(() -> model.request(Map.of("prompt", "p", "logprobs", (1L << 32) + 1), t -> {}))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("logprobs must be from 0 to 20");
        assertThatThrownBy(() -> model.request(Map.of("prompt", "p", "top_p", 7.0), null))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("top_p must be");
        assertThatThrownBy(() -> model.request(Map.of("prompt", "p", "max_tokens", 0L), null))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("max_tokens must be");
        assertThatThrownBy(() -> model.request(Map.of("prompt", "p", "stop", List.of("")), null))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("stop must");
    }
}
