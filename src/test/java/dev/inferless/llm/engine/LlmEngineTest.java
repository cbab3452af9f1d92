package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.ModelContext;
import dev.inferless.api.TextGeneration.Completion;
import dev.inferless.api.TextGeneration.Piece;
import dev.inferless.llm.sampling.SamplingParams;
import dev.inferless.llm.tokenizer.ChatTemplate;
import dev.inferless.llm.tokenizer.Tokenizer;
import dev.inferless.llm.tokenizer.WrittenTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's public face on a scripted model: inputs to a request (defaults, conversions, errors
 * naming the field) and a generation's text, counts and finish reason, streamed or not.
 */
class LlmEngineTest {

    private static Tokenizer tok;
    private static final TextGenerationSettings SETTINGS = TextGenerationSettings.from(Map.of());

    @BeforeAll
    static void load(@TempDir Path dir) {
        tok = WrittenTokenizer.load(dir, ScriptedModel.VOCAB, ScriptedModel.EOS);
        INPUTS = new GenerationInputs(SETTINGS, PLAIN);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    private static final ChatTemplate PLAIN = new ChatTemplate(ChatTemplate.PLAIN, "", "");
    private static GenerationInputs INPUTS;

    /** An engine whose model answers {@code completion} to any prompt. */
    private static LlmEngine engine(String completion) {
        int[] ids = tok.encode(completion);
        ScriptedModel scripted = ScriptedModel.scripted(256, Arrays.copyOfRange(ids, 1, ids.length));
        return new LlmEngine(scripted, tok, SETTINGS, PLAIN, new BatchLimits(4, 64, 0), Integer.MAX_VALUE,
                KvCacheSettings.DEFAULT, NO_METRICS,
                List.of());
    }

    private static Completion generate(String completion, Map<String, Object> inputs, List<String> pieces) {
        try (LlmEngine engine = engine(completion)) {
            return engine.generate(inputs, CancellationToken.untimed(), piece -> pieces.add(piece.text()));
        }
    }

    private static final ModelContext NO_METRICS = new ModelContext() {
        public Path repoDir() { return Path.of("."); }
        public Map<String, Object> config() { return Map.of(); }
        public String device() { return "cpu"; }
        public System.Logger logger() { return System.getLogger("test"); }
        public void count(String metric, String help, double amount) {}
    };

    @Test
    void absentInputsTakeTheConfiguredDefaults() {
        GenerationRequest r = INPUTS.request(Map.of("prompt", "def f():"), null);
        assertThat(r.maxTokens()).isEqualTo(512);
        assertThat(r.sampling().temperature()).isEqualTo(1.0);
        assertThat(r.sampling().topP()).isEqualTo(1.0);
        assertThat(r.sampling().topK()).isZero();
        assertThat(r.sampling().repetitionPenalty()).isEqualTo(1.0);
        assertThat(r.sampling().penalizesOutput()).isFalse();
        assertThat(r.seed()).isNull();
        assertThat(r.stop()).isEmpty();
    }

    @Test
    void inputsMapToTheRequestAsTheRuntimeDeliversThem() {
        Map<String, Object> inputs = new HashMap<>();
        inputs.put("prompt", List.of("def f():"));
        inputs.put("max_tokens", 16L);
        inputs.put("temperature", 0.5);
        inputs.put("top_p", 0.9);
        inputs.put("top_k", 40L);
        inputs.put("repetition_penalty", 1.2);
        inputs.put("presence_penalty", 0.25);
        inputs.put("frequency_penalty", -0.5);
        inputs.put("logit_bias", "{\"13\": -100, \"7\": 2.5}");
        inputs.put("seed", 7L);
        inputs.put("stop", "\ndef");
        GenerationRequest r = INPUTS.request(inputs, null);
        assertThat(r).isEqualTo(new GenerationRequest("def f():", 16,
                new SamplingParams(0.5, 40, 0.9, 1.2, 0.25, -0.5, Map.of(13, -100.0, 7, 2.5)), 7L,
                List.of("\ndef"), false, null, true)); // an explicit max_tokens must fit
        inputs.put("stop", List.of("a", "b"));
        assertThat(INPUTS.request(inputs, null).stop()).containsExactly("a", "b");
        inputs.put("ignore_eos", List.of(true));
        assertThat(INPUTS.request(inputs, null).ignoreEos()).isTrue();
    }

    @Test
    void promptTokenIdsArePassedAsTheyAre() {
        GenerationRequest r = INPUTS.request(Map.of("prompt_token_ids", List.of(5L, 9L, 300L)), null);
        assertThat(r.promptTokenIds()).containsExactly(5, 9, 300);
        assertThat(r.prompt()).isEmpty();
    }

    @Test
    void ignoreEosGeneratesMaxTokensPastTheScriptsEos() {
        Completion out = generate(" x", Map.of("prompt", "p", "temperature", 0.0, "max_tokens", 9L,
                "ignore_eos", true), new ArrayList<>());
        assertThat(out.outputTokens()).isEqualTo(9);
        assertThat(out.finishReason()).isEqualTo("length");
        assertThat(generate(" x", Map.of("prompt", "p", "temperature", 0.0, "max_tokens", 9L), new ArrayList<>())
                .finishReason()).isEqualTo("stop");
    }

    @Test
    void badInputsNameTheField() {
        GenerationInputs m = INPUTS;
        assertThatThrownBy(() -> m.request(Map.of(), null)).hasMessageContaining("prompt");
        assertThatThrownBy(() -> m.request(Map.of("prompt", 3L), null)).hasMessageContaining("prompt");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "max_tokens", 1.5), null)).hasMessageContaining("max_tokens");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "max_tokens", 0L), null)).hasMessageContaining("max_tokens");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "temperature", "hot"), null)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "top_p", 0.0), null)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "presence_penalty", 3.0), null)).hasMessageContaining("presence_penalty");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "frequency_penalty", "x"), null)).hasMessageContaining("frequency_penalty");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "logit_bias", "{\"a\": 1}"), null)).hasMessageContaining("logit_bias");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "prompt_token_ids", List.of(1L)), null))
                .hasMessageContaining("prompt_token_ids");
        assertThatThrownBy(() -> m.request(Map.of("prompt_token_ids", List.of("a")), null)).hasMessageContaining("prompt_token_ids");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "logit_bias", "{\"1\": 500}"), null)).hasMessageContaining("logit_bias");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "logit_bias", "[1]"), null)).hasMessageContaining("logit_bias");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "stop", List.of(1L)), null)).hasMessageContaining("stop");
        assertThatThrownBy(() -> m.request(Map.of("prompt", List.of("a", "b")), null)).hasMessageContaining("prompt");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "ignore_eos", "yes"), null)).hasMessageContaining("ignore_eos");
    }

    @Test
    void completionCarriesTextCountsAndFinishReason() {
        Completion out = generate("    return 1\n", Map.of("prompt", "def f():", "temperature", 0.0), new ArrayList<>());
        assertThat(out.text()).isEqualTo("    return 1\n");
        assertThat(out.finishReason()).isEqualTo("stop");
        assertThat(out.promptTokens()).isEqualTo(tok.encode("def f():").length);
        assertThat(out.outputTokens()).isPositive();
    }

    @Test
    void streamingSendsPiecesThatAddUpToTheFinalText() {
        List<String> chunks = new ArrayList<>();
        Completion out = generate(" caf\u00e9 ok", Map.of("prompt", "p", "temperature", 0.0), chunks);
        assertThat(chunks).hasSizeGreaterThan(1);
        assertThat(String.join("", chunks)).isEqualTo(out.text()).isEqualTo(" caf\u00e9 ok");
    }

    @Test
    void logprobsComeWithEachPieceAndTheRestWithTheCompletion() {
        List<Piece> pieces = new ArrayList<>();
        Completion streamed;
        try (LlmEngine engine = engine(" caf\u00e9 ok")) {
            streamed = engine.generate(Map.of("prompt", "p", "temperature", 0.0, "logprobs", 2L), CancellationToken.untimed(), pieces::add);
        }
        int entries = pieces.stream().mapToInt(p -> count(p.logprobs())).sum() + count(streamed.logprobs());
        assertThat(entries).isEqualTo(streamed.outputTokens() - 1); // the EOS that ends it has none
        assertThat(pieces).allSatisfy(p -> assertThat(p.logprobs()).startsWith("["));

        Completion whole = generate(" caf\u00e9 ok", Map.of("prompt", "p", "temperature", 0.0, "logprobs", 0L), new ArrayList<>());
        Completion none = generate(" caf\u00e9 ok", Map.of("prompt", "p", "temperature", 0.0), new ArrayList<>());
        try (LlmEngine engine = engine(" caf\u00e9 ok")) {
            Completion unstreamed = engine.generate(Map.of("prompt", "p", "temperature", 0.0, "logprobs", 0L), CancellationToken.untimed(), null);
            assertThat(count(unstreamed.logprobs())).isEqualTo(entries);
        }
        assertThat(none.logprobs()).isNull();
        assertThat(whole.logprobs()).isNotNull();
    }

    @Test
    void messagesBecomeThePromptThroughTheChatTemplate() {
        GenerationRequest r = INPUTS.request(Map.of("messages", "[{\"role\": \"user\", \"content\": \"hi\"}]"), null);
        assertThat(r.prompt()).contains("user: hi");
        assertThatThrownBy(() -> INPUTS.request(Map.of("prompt", "p", "messages", "[]"), null)).hasMessageContaining("messages");
    }

    @Test
    void anExplicitMaxTokensBeyondTheContextWindowIsRefused() {
        assertThatThrownBy(() -> generate(" x", Map.of("prompt", "p", "max_tokens", 256L), new ArrayList<>()))
                .hasMessageContaining("maximum context length is 256");
    }

    /** Entries in a logprobs JSON list (0 for none). */
    private static int count(String json) {
        try {
            return json == null ? 0 : new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).size();
        } catch (java.io.IOException e) {
            throw new AssertionError(json, e);
        }
    }
}
