package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

class TextGenerationModelTest {

    private static Tokenizer tok;
    private static final TextGenerationSettings SETTINGS = TextGenerationSettings.from(Map.of());

    @BeforeAll
    static void load(@TempDir Path dir) {
        tok = WrittenTokenizer.load(dir, ScriptedModel.VOCAB, ScriptedModel.EOS);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    private static TextGenerationModel model(String completion) {
        int[] ids = tok.encode(completion);
        ScriptedModel scripted = ScriptedModel.scripted(256, Arrays.copyOfRange(ids, 1, ids.length));
        return new TextGenerationModel(new Generator(scripted, tok, 0), SETTINGS);
    }

    @Test
    void absentInputsTakeTheConfiguredDefaults() {
        GenerationRequest r = model("x").request(Map.of("prompt", "def f():"));
        assertThat(r.maxTokens()).isEqualTo(512);
        assertThat(r.temperature()).isEqualTo(1.0);
        assertThat(r.topP()).isEqualTo(1.0);
        assertThat(r.topK()).isZero();
        assertThat(r.repetitionPenalty()).isEqualTo(1.0);
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
        inputs.put("seed", 7L);
        inputs.put("stop", "\ndef");
        GenerationRequest r = model("x").request(inputs);
        assertThat(r).isEqualTo(new GenerationRequest("def f():", 16, 0.5, 0.9, 40, 1.2, 7L, List.of("\ndef"), false));
        inputs.put("stop", List.of("a", "b"));
        assertThat(model("x").request(inputs).stop()).containsExactly("a", "b");
        inputs.put("ignore_eos", List.of(true));
        assertThat(model("x").request(inputs).ignoreEos()).isTrue();
    }

    @Test
    void ignoreEosGeneratesMaxTokensPastTheScriptsEos() {
        Map<String, Object> out = model(" x").infer(Map.of("prompt", "p", "temperature", 0.0, "max_tokens", 9L,
                "ignore_eos", true), () -> false);
        assertThat(out.get("output_tokens")).isEqualTo(9);
        assertThat(out.get("finish_reason")).isEqualTo("length");
        assertThat(model(" x").infer(Map.of("prompt", "p", "temperature", 0.0, "max_tokens", 9L), () -> false)
                .get("finish_reason")).isEqualTo("stop");
    }

    @Test
    void badInputsNameTheField() {
        TextGenerationModel m = model("x");
        assertThatThrownBy(() -> m.request(Map.of())).hasMessageContaining("prompt");
        assertThatThrownBy(() -> m.request(Map.of("prompt", 3L))).hasMessageContaining("prompt");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "max_tokens", 1.5))).hasMessageContaining("max_tokens");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "max_tokens", 0L))).hasMessageContaining("max_tokens");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "temperature", "hot"))).hasMessageContaining("temperature");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "top_p", 0.0))).hasMessageContaining("top_p");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "stop", List.of(1L)))).hasMessageContaining("stop");
        assertThatThrownBy(() -> m.request(Map.of("prompt", List.of("a", "b")))).hasMessageContaining("prompt");
        assertThatThrownBy(() -> m.request(Map.of("prompt", "p", "ignore_eos", "yes"))).hasMessageContaining("ignore_eos");
    }

    @Test
    void outputsCarryTextCountsAndFinishReason() {
        Map<String, Object> out = model("    return 1\n").infer(Map.of("prompt", "def f():", "temperature", 0.0), () -> false);
        assertThat(out).containsOnlyKeys("generated_result", "prompt_tokens", "output_tokens", "finish_reason");
        assertThat(out.get("generated_result")).isEqualTo("    return 1\n");
        assertThat(out.get("finish_reason")).isEqualTo("stop");
        assertThat((int) out.get("prompt_tokens")).isEqualTo(tok.encode("def f():").length);
        assertThat((int) out.get("output_tokens")).isPositive();
    }

    @Test
    void streamingSendsPiecesThatAddUpToTheFinalText() {
        List<Map<String, Object>> chunks = new ArrayList<>();
        Map<String, Object> out = model(" caf\u00e9 ok").inferStreaming(
                Map.of("prompt", "p", "temperature", 0.0), () -> false, chunks::add);
        StringBuilder text = new StringBuilder();
        chunks.forEach(c -> text.append(c.get("generated_result")));
        assertThat(chunks).hasSizeGreaterThan(1);
        assertThat(text.toString()).isEqualTo(out.get("generated_result")).isEqualTo(" caf\u00e9 ok");
    }
}
