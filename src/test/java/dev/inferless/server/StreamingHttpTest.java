package dev.inferless.server;

import static dev.inferless.server.HttpApiTest.assertError;
import static dev.inferless.server.HttpApiTest.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.server.testmodel.StreamingTestModel;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Streaming on /infer and the OpenAI routes, against one real server serving the streaming test model. */
class StreamingHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Multi-byte text: 2-, 3- and 4-byte UTF-8 sequences, and a surrogate pair in Java. */
    private static final String MULTI_BYTE = "héllo 世界 🎉ß";

    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(StreamingTestModel.repo(Files.createTempDirectory("streaming-test")),
                "server.container_concurrency=2");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void inferStreamsOneEventPerChunkEndingWithDoneAndValidUtf8() throws Exception {
        SseEvents sse = stream("/infer", "{\"prompt\": \"" + MULTI_BYTE + "\", \"max_tokens\": 20, \"stream\": true}");
        List<String> data = sse.dataBeforeDone();
        StringBuilder text = new StringBuilder();
        for (String d : data.subList(0, data.size() - 1)) {
            text.append(JSON.readTree(d).get("generated_result").asText());
        }
        assertThat(data).hasSize(21);
        assertThat(text.toString()).isEqualTo(StreamingTestModel.expected(MULTI_BYTE, 20));
        JsonNode last = JSON.readTree(data.get(20));
        assertThat(last.get("output_tokens").asInt()).isEqualTo(20);
        assertThat(last.get("finish_reason").asText()).isEqualTo("length");
        // The same request without streaming gives the same text.
        assertThat(ok(server.post("/infer", "{\"prompt\": \"" + MULTI_BYTE + "\", \"max_tokens\": 20}"))
                .get("generated_result").asText()).isEqualTo(text.toString());
    }

    @Test
    void streamFalseAndBadStreamValues() throws Exception {
        assertThat(ok(server.post("/infer", "{\"prompt\": \"ab\", \"max_tokens\": 3, \"stream\": false}"))
                .get("generated_result").asText()).isEqualTo("aba");
        assertError(server.post("/infer", "{\"prompt\": \"ab\", \"stream\": \"yes\"}"), 400, "stream");
    }

    @Test
    void aModelDeclaredStreamingStreamsWhenTheRequestDoesNotSay() throws Exception {
        try (TestServer declared = TestServer.start(StreamingTestModel.repo(Files.createTempDirectory("declared-streaming")),
                "model.streaming_output=true")) {
            HttpResponse<String> streamed = declared.post("/infer", "{\"prompt\": \"ab\", \"max_tokens\": 3}");
            assertThat(streamed.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            assertThat(SseEvents.parse(streamed.body().getBytes(StandardCharsets.UTF_8)).dataBeforeDone()).hasSize(4);
            assertThat(ok(declared.post("/infer", "{\"prompt\": \"ab\", \"max_tokens\": 3, \"stream\": false}"))
                    .get("generated_result").asText()).isEqualTo("aba");
        }
        // Not declared: JSON unless the request asks.
        assertThat(server.post("/infer", "{\"prompt\": \"ab\", \"max_tokens\": 3}").headers().firstValue("Content-Type")
                .orElse("")).startsWith("application/json");
    }

    @Test
    void completionsWithoutStreaming() throws Exception {
        JsonNode body = ok(server.post("/v1/completions",
                "{\"model\": \"streaming\", \"prompt\": \"" + MULTI_BYTE + "\", \"max_tokens\": 5, \"temperature\": 0.5,"
                        + " \"top_p\": 0.9, \"top_k\": 4, \"seed\": 7, \"stop\": [\"x\"], \"n\": 1, \"echo\": false}"));
        assertThat(body.get("id").asText()).startsWith("cmpl-");
        assertThat(body.get("object").asText()).isEqualTo("text_completion");
        assertThat(body.get("model").asText()).isEqualTo("streaming");
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("text").asText()).isEqualTo(StreamingTestModel.expected(MULTI_BYTE, 5));
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        JsonNode usage = body.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(MULTI_BYTE.codePointCount(0, MULTI_BYTE.length()));
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(5);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(usage.get("prompt_tokens").asInt() + 5);
    }

    @Test
    void completionsStreamingEndsWithUsageThenDone() throws Exception {
        SseEvents sse = stream("/v1/completions", "{\"prompt\": [\"" + MULTI_BYTE + "\"], \"max_tokens\": 12, \"stream\": true,"
                + " \"stream_options\": {\"include_usage\": true}}");
        List<String> data = sse.dataBeforeDone();
        assertThat(data).hasSize(14); // 12 pieces, the finish reason, the usage
        data = data.subList(0, 13);
        StringBuilder text = new StringBuilder();
        String id = null;
        for (String d : data) {
            JsonNode chunk = JSON.readTree(d);
            id = id == null ? chunk.get("id").asText() : id;
            assertThat(chunk.get("id").asText()).isEqualTo(id);
            assertThat(chunk.get("object").asText()).isEqualTo("text_completion");
            text.append(chunk.get("choices").get(0).get("text").asText());
        }
        assertThat(text.toString()).isEqualTo(StreamingTestModel.expected(MULTI_BYTE, 12));
        JsonNode first = JSON.readTree(data.get(0));
        assertThat(first.get("choices").get(0).get("finish_reason").isNull()).isTrue();
        assertThat(first.get("usage").isNull()).isTrue();
        assertThat(JSON.readTree(data.get(12)).get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
        JsonNode last = JSON.readTree(sse.dataBeforeDone().get(13));
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.get("usage").get("completion_tokens").asInt()).isEqualTo(12);
        assertThat(last.get("usage").get("total_tokens").asInt())
                .isEqualTo(12 + MULTI_BYTE.codePointCount(0, MULTI_BYTE.length()));
    }

    @Test
    void modelsListsTheServedModel() throws Exception {
        JsonNode body = ok(server.get("/v1/models"));
        assertThat(body.get("object").asText()).isEqualTo("list");
        assertThat(body.get("data").get(0).get("id").asText()).isEqualTo("streaming");
        assertThat(body.get("data").get(0).get("object").asText()).isEqualTo("model");
    }

    @Test
    void completionsRejectWhatTheyDoNotSupportNamingTheField() throws Exception {
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"n\": 0}"), 400, "n");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"n\": 129}"), 400, "n");
        assertError(server.post("/v1/completions", "{\"prompt\": [\"a\", \"b\"], \"n\": 65}"), 400, "130 choices");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"n\": 2, \"best_of\": 3}"), 400, "best_of");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"echo\": true}"), 400, "echo");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"temperature\": -1}"), 400, "temperature");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"top_p\": 1.5}"), 400, "top_p");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 0}"), 400, "max_tokens");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"stop\": [\"\"]}"), 400, "stop");
        assertError(server.post("/v1/completions", "{\"prompt\": [\"a\", 1]}"), 400, "prompt");
        assertError(server.post("/v1/completions", "{\"prompt\": [1, 2]}"), 400, "token-id prompts");
        assertError(server.post("/v1/completions", "{\"prompt\": [[1], \"a\"]}"), 400, "prompt");
        assertError(server.post("/v1/completions", "{\"prompt\": [[1], []]}"), 400, "prompt");
        assertError(server.post("/v1/completions", "{\"prompt\": []}"), 400, "prompt");
        assertError(server.post("/v1/completions", "{\"max_tokens\": 3}"), 400, "prompt");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"logprobs\": 5}"), 400, "logprobs");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"wat\": 5}"), 400, "wat");
        assertError(server.post("/v1/completions", "{\"prompt\": \"a\", \"model\": \"gpt-4\"}"), 404, "gpt-4");
        assertError(server.post("/v1/completions", "{\"prompt\": \"\"}"), 400, "empty");
        // Neutral values of fields clients send by habit are fine.
        assertThat(server.post("/v1/completions", "{\"prompt\": \"a\", \"logprobs\": null, \"presence_penalty\": 0,"
                + " \"frequency_penalty\": 0, \"best_of\": 1, \"logit_bias\": {}, \"user\": \"u\"}").statusCode()).isEqualTo(200);
    }

    @Test
    void completionsOfSeveralPromptsAndChoicesAnswerEachInIndexOrder() throws Exception {
        JsonNode body = ok(server.post("/v1/completions",
                "{\"prompt\": [\"ab\", \"xyz\"], \"n\": 2, \"best_of\": 2, \"max_tokens\": 4, \"seed\": 3}"));
        JsonNode choices = body.get("choices");
        assertThat(choices).hasSize(4);
        for (int c = 0; c < 4; c++) {
            assertThat(choices.get(c).get("index").asInt()).isEqualTo(c);
            assertThat(choices.get(c).get("text").asText()).isEqualTo(StreamingTestModel.expected(c < 2 ? "ab" : "xyz", 4));
            assertThat(choices.get(c).get("finish_reason").asText()).isEqualTo("length");
        }
        // each prompt's tokens count once, every choice's output tokens count
        assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(2 + 3);
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(4 * 4);
    }

    @Test
    void streamingSeveralChoicesTagsEachChunkWithItsChoiceAndEndsOnceAllHaveEnded() throws Exception {
        SseEvents sse = stream("/v1/completions", "{\"prompt\": [\"ab\", \"xyz\"], \"n\": 2, \"max_tokens\": 5,"
                + " \"chunk_ms\": 1, \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
        List<String> data = sse.dataBeforeDone();
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder(), new StringBuilder(), new StringBuilder()};
        int[] finishes = new int[4];
        for (String d : data.subList(0, data.size() - 1)) {
            JsonNode choice = JSON.readTree(d).get("choices").get(0);
            int index = choice.get("index").asInt();
            texts[index].append(choice.get("text").asText());
            if (!choice.get("finish_reason").isNull()) {
                assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
                assertThat(finishes[index]++).as("choice %d's finish chunk is its last", index).isZero();
            } else {
                assertThat(finishes[index]).as("a chunk of choice %d after its finish", index).isZero();
            }
        }
        assertThat(finishes).containsExactly(1, 1, 1, 1);
        for (int c = 0; c < 4; c++) {
            assertThat(texts[c].toString()).isEqualTo(StreamingTestModel.expected(c < 2 ? "ab" : "xyz", 5));
        }
        JsonNode usage = JSON.readTree(data.get(data.size() - 1));
        assertThat(usage.get("choices")).isEmpty();
        assertThat(usage.get("usage").get("prompt_tokens").asInt()).isEqualTo(5);
        assertThat(usage.get("usage").get("completion_tokens").asInt()).isEqualTo(20);
    }

    @Test
    void aFailingChoiceFailsTheRequestAndCancelsTheOthers() throws Exception {
        // The empty prompt is refused by the model; the other choice would stream for minutes, so the
        // answer comes only if that one is cancelled (or never started).
        assertError(server.post("/v1/completions", "{\"prompt\": [\"abc\", \"\"], \"max_tokens\": 100000,"
                + " \"chunk_ms\": 2}"), 400, "empty");
        waitFor(() -> server.metric("inferless_requests_in_flight") == 0, "the slots to come back");
    }

    @Test
    void aModelFailingBeforeItsFirstChunkIsAPlain500LoggedOnce() throws Exception {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertError(server.post("/infer", "{\"prompt\": \"ab\", \"fail_after\": 0, \"stream\": true}"), 500, "after 0 chunks");
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(log.split("model failed on POST /infer", -1)).as(log).hasSize(2);
    }

    @Test
    void aModelFailingMidStreamEndsTheStreamWithAnErrorEventAndTheServerGoesOn() throws Exception {
        SseEvents sse = stream("/v1/completions", "{\"prompt\": \"abc\", \"max_tokens\": 9, \"fail_after\": 4, \"stream\": true}");
        assertThat(sse.events()).hasSize(5);
        // OpenAI's form: a data event holding the error object
        JsonNode error = JSON.readTree(sse.last().data()).get("error");
        assertThat(error.get("message").asText()).contains("after 4 chunks");
        assertThat(error.get("type").asText()).isEqualTo("server_error");
        assertThat(ok(server.post("/infer", "{\"prompt\": \"ok\", \"max_tokens\": 2}")).get("generated_result").asText())
                .isEqualTo("ok");
    }

    @Test
    void aClientThatWalksAwayCancelsItsGenerationAndFreesItsSlot() throws Exception {
        int cancelledBefore = StreamingTestModel.CANCELLED.get();
        try (RawStreamClient client = RawStreamClient.openUntilFirstEvent(server.runtime.port(), "/v1/completions",
                "{\"prompt\": \"abc\", \"max_tokens\": 100000, \"chunk_ms\": 2, \"stream\": true}")) {
            assertThat(server.metric("inferless_requests_in_flight")).isEqualTo(1);
        }
        waitFor(() -> StreamingTestModel.CANCELLED.get() > cancelledBefore, "the model to see its cancellation");
        waitFor(() -> server.metric("inferless_requests_in_flight") == 0, "the slot to come back");
    }

    @Test
    void aClientThatWalksAwayFromSeveralChoicesCancelsEveryOne() throws Exception {
        int cancelledBefore = StreamingTestModel.CANCELLED.get();
        try (RawStreamClient client = RawStreamClient.openUntilFirstEvent(server.runtime.port(), "/v1/completions",
                "{\"prompt\": \"abc\", \"n\": 2, \"max_tokens\": 100000, \"chunk_ms\": 2, \"stream\": true}")) {
            waitFor(() -> server.metric("inferless_requests_in_flight") == 2, "both choices to run");
        }
        waitFor(() -> StreamingTestModel.CANCELLED.get() >= cancelledBefore + 2, "both choices to see their cancellation");
        waitFor(() -> server.metric("inferless_requests_in_flight") == 0, "the slots to come back");
    }

    @Test
    void aClientThatHangsUpOnAnAnswerOfSeveralChoicesCancelsEveryOne() throws Exception {
        int cancelledBefore = StreamingTestModel.CANCELLED.get();
        String body = "{\"prompt\": \"abc\", \"n\": 2, \"max_tokens\": 100000, \"chunk_ms\": 2}";
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.runtime.port())) {
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            waitFor(() -> server.metric("inferless_requests_in_flight") == 2, "both choices to run");
        }
        waitFor(() -> StreamingTestModel.CANCELLED.get() >= cancelledBefore + 2, "both choices to see their cancellation");
        waitFor(() -> server.metric("inferless_requests_in_flight") == 0, "the slots to come back");
    }

    @Test
    void pastTheDeadlineMidStreamAnErrorEventSays504AndTheSlotComesBack() throws Exception {
        Path tmp = Files.createTempDirectory("streaming-deadline");
        try (TestServer s = TestServer.start(StreamingTestModel.repo(tmp), "server.container_concurrency=1",
                "server.inference_timeout_s=1")) {
            HttpResponse<byte[]> r = s.send(s.request("/infer").header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\": \"abc\", \"max_tokens\": 100000, \"chunk_ms\": 20, \"stream\": true}")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            SseEvents sse = SseEvents.parse(r.body());
            assertThat(sse.events().size()).isGreaterThan(1);
            assertThat(sse.last().name()).isEqualTo("error");
            assertThat(JSON.readTree(sse.last().data()).get("status").asInt()).isEqualTo(504);
            // Hanging before any chunk: an ordinary 504.
            assertError(s.post("/infer", "{\"prompt\": \"abc\", \"hang\": true, \"stream\": true}"), 504, "deadline");
            waitFor(() -> s.metric("inferless_requests_in_flight") == 0, "the slot to come back");
            assertThat(ok(s.post("/infer", "{\"prompt\": \"next\", \"max_tokens\": 4}")).get("generated_result").asText())
                    .isEqualTo("next");
            assertThat(HttpApiTest.value(s.get("/metrics").body(), "inferless_http_requests_total{route=\"/infer\",status=\"504\"}"))
                    .isEqualTo(2);
        }
    }

    private static SseEvents stream(String path, String body) throws Exception {
        HttpResponse<byte[]> r = server.send(server.request(path).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        return SseEvents.parse(r.body());
    }

    static void waitFor(HttpLimitsTest.Condition condition, String what) throws Exception {
        long end = System.nanoTime() + 30_000_000_000L;
        while (!condition.holds()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
