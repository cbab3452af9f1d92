package dev.inferless.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which input takes the prompt and which output the text: declared in the schemas, else the only STRING one. */
class TextGenerationIoTest {

    private static IoSchema schema(String json) throws Exception {
        return IoSchema.parse(new ObjectMapper().readTree(json), "test", "inputs");
    }

    private static final String STRING = "\"datatype\": \"STRING\", \"shape\": [1]";

    @Test
    void declaredUsesWinOverOtherStringTensors() throws Exception {
        IoSchema inputs = schema("{\"stop\": {" + STRING + "}, \"question\": {\"text_generation\": \"prompt\", " + STRING + "}}");
        IoSchema outputs = schema("{\"finish_reason\": {" + STRING + "}, \"answer\": {\"text_generation\": \"text\", " + STRING + "}}");
        assertThat(TextGenerationIo.of(inputs, outputs)).contains(new TextGenerationIo("question", "answer"));
    }

    @Test
    void undeclaredTakesTheOnlyStringTensorAndNothingWhenThereAreSeveral() throws Exception {
        IoSchema one = schema("{\"query\": {" + STRING + "}, \"n\": {\"datatype\": \"INT64\", \"shape\": [1]}}");
        IoSchema out = schema("{\"reply\": {" + STRING + "}}");
        assertThat(TextGenerationIo.of(one, out)).contains(new TextGenerationIo("query", "reply"));
        IoSchema two = schema("{\"a\": {" + STRING + "}, \"b\": {" + STRING + "}}");
        assertThat(TextGenerationIo.of(two, out)).isEqualTo(Optional.empty());
        assertThat(TextGenerationIo.of(one, two)).isEqualTo(Optional.empty());
    }

    @Test
    void aBadOrRepeatedDeclarationIsRefusedNamingTheTensor() {
        assertThatThrownBy(() -> schema("{\"p\": {\"text_generation\": \"input\", " + STRING + "}}"))
                .hasMessageContaining("p.text_generation");
        assertThatThrownBy(() -> schema("{\"a\": {\"text_generation\": \"prompt\", " + STRING + "},"
                + " \"b\": {\"text_generation\": \"prompt\", " + STRING + "}}"))
                .hasMessageContaining("b.text_generation");
    }
}
