package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.schema.RequestInput;
import dev.inferless.schema.TextGenerationIo;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The text protocols map to the model's declared prompt input and text output, whatever they are named. */
class TextProtocolsTest {

    private static final TextGenerationIo IO = new TextGenerationIo("question", "answer");

    @Test
    void openAiSendsThePromptToThePromptInputAndReadsTheTextOutput() throws Exception {
        OpenAiRequest r = OpenAiRequest.completions(new ObjectMapper().readTree("{\"prompt\": \"2+2?\"}"), "m",
                Set.of("question"), IO.promptInput());
        assertThat(r.choices().get(0)).extracting(RequestInput::name).contains("question").doesNotContain("prompt");
        Map<String, Object> body = OpenAiProtocol.response(r, "m", 0, IO,
                List.of(Map.of("answer", "4", "generated_result", "not the text")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> choices = (List<Map<String, Object>>) body.get("choices");
        assertThat(choices.get(0).get("text")).isEqualTo("4");
    }

    @Test
    void outputPenaltiesPassToAModelThatDeclaresThemAndOnlyTheirDefaultToOneThatDoesNot() throws Exception {
        ObjectMapper json = new ObjectMapper();
        OpenAiRequest declared = OpenAiRequest.completions(json.readTree(
                "{\"prompt\": \"x\", \"presence_penalty\": 0.5, \"frequency_penalty\": -1}"), "m",
                Set.of("question", "presence_penalty", "frequency_penalty"), IO.promptInput());
        assertThat(declared.choices().get(0)).extracting(RequestInput::name).contains("presence_penalty", "frequency_penalty");
        OpenAiRequest neutral = OpenAiRequest.completions(json.readTree("{\"prompt\": \"x\", \"presence_penalty\": 0}"), "m",
                Set.of("question"), IO.promptInput());
        assertThat(neutral.choices().get(0)).extracting(RequestInput::name).doesNotContain("presence_penalty");
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(ApiError.class, () -> OpenAiRequest.completions(
                json.readTree("{\"prompt\": \"x\", \"frequency_penalty\": 1}"), "m", Set.of("question"), IO.promptInput()))
                .getMessage()).contains("frequency_penalty");
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(ApiError.class, () -> OpenAiRequest.completions(
                json.readTree("{\"prompt\": \"x\", \"presence_penalty\": 2.5}"), "m",
                Set.of("question", "presence_penalty"), IO.promptInput())).getMessage()).contains("presence_penalty");
    }

    @Test
    void logitBiasPassesAsJsonTextToAModelThatDeclaresIt() throws Exception {
        ObjectMapper json = new ObjectMapper();
        OpenAiRequest declared = OpenAiRequest.completions(json.readTree("{\"prompt\": \"x\", \"logit_bias\": {\"13\": -100}}"),
                "m", Set.of("question", "logit_bias"), IO.promptInput());
        RequestInput bias = declared.choices().get(0).stream().filter(i -> i.name().equals("logit_bias")).findFirst().orElseThrow();
        assertThat(json.writeValueAsString(bias)).contains("{\\\"13\\\":-100}");
        for (String body : List.of("{\"prompt\": \"x\", \"logit_bias\": {\"13\": -100}}",      // not declared
                "{\"prompt\": \"x\", \"logit_bias\": {\"a\": 1}}", "{\"prompt\": \"x\", \"logit_bias\": {\"1\": 101}}",
                "{\"prompt\": \"x\", \"logit_bias\": [1]}")) {
            Set<String> inputs = body.contains("13") ? Set.of("question") : Set.of("question", "logit_bias");
            assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(ApiError.class,
                    () -> OpenAiRequest.completions(json.readTree(body), "m", inputs, IO.promptInput())).getMessage())
                    .as(body).contains("logit_bias");
        }
        assertThat(OpenAiRequest.completions(json.readTree("{\"prompt\": \"x\", \"logit_bias\": {}}"), "m",
                Set.of("question"), IO.promptInput()).choices().get(0)).extracting(RequestInput::name).doesNotContain("logit_bias");
    }

    @Test
    void generateMapsTheTextOutputToTextOutputAndKeepsTheOthers() {
        Map<String, Object> body = GenerateProtocol.response("m", IO, Map.of("answer", "4", "generated_result", "x"));
        assertThat(body).containsEntry("text_output", "4").containsEntry("generated_result", "x").doesNotContainKey("answer");
    }
}
