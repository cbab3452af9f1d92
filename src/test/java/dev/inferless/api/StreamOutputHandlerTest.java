package dev.inferless.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Inferless's names for the handler's calls reach the runtime's handler. */
class StreamOutputHandlerTest {

    @Test
    void inferlessNamesSendAndFinish() {
        List<String> calls = new ArrayList<>();
        StreamOutputHandler handler = new StreamOutputHandler() {
            @Override
            public void send(Map<String, Object> chunk) {
                calls.add("send " + chunk.get("generated_result"));
            }

            @Override
            public void finish() {
                calls.add("finish");
            }
        };
        handler.send_streamed_output(Map.of("generated_result", "a"));
        handler.send_streamed_output(Map.of("generated_result", "b"));
        handler.finalise_streamed_output();
        assertThat(calls).containsExactly("send a", "send b", "finish");
    }
}
