package dev.inferless.server;

import dev.inferless.api.StreamOutputHandler;
import dev.inferless.schema.TextGenerationIo;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One OpenAI request's Server-Sent Events: each choice's text pieces as its model call sends them
 * (chat's first chunk of a choice carries the assistant role), the choice's finish reason when it
 * ends (none when it was cancelled); once every choice has ended, with
 * {@code stream_options.include_usage}, one chunk with no choices and the usage; then {@code [DONE]}.
 * A choice that fails never ends, so the stream is then closed by the error event instead.
 */
final class OpenAiStream {

    private final SseWriter sse;
    private final OpenAiRequest r;
    private final String model;
    private final long created;
    private final TextGenerationIo io;
    private final String object;
    private int ended;
    private long promptTokens;
    private long completionTokens;

    OpenAiStream(SseWriter sse, OpenAiRequest r, String model, long created, TextGenerationIo io) {
        this.sse = sse;
        this.r = r;
        this.model = model;
        this.created = created;
        this.io = io;
        this.object = r.chat() ? "chat.completion.chunk" : "text_completion";
    }

    /** The handler of choice {@code index}'s model call. */
    StreamOutputHandler choice(int index) {
        return new Choice(index);
    }

    private synchronized void ended(int index, Map<String, Object> totals) {
        if (index % r.n() == 0) promptTokens += OpenAiProtocol.count(totals.get("prompt_tokens")); // each prompt once
        completionTokens += OpenAiProtocol.count(totals.get("output_tokens"));
        if (++ended < r.choices().size()) return;
        if (r.includeUsage()) {
            Map<String, Object> last = OpenAiProtocol.envelope(r, object, created, model, List.of());
            last.put("usage", OpenAiProtocol.usage(promptTokens, completionTokens));
            sse.data(last);
        }
        sse.done();
    }

    private void event(Map<String, Object> choice) {
        Map<String, Object> body = OpenAiProtocol.envelope(r, object, created, model, List.of(choice));
        if (r.includeUsage()) body.put("usage", null);
        sse.data(body);
    }

    /** One choice: its chunks in order, from its model call's one thread. */
    private final class Choice implements StreamOutputHandler {
        private final int index;
        private final Map<String, Object> totals = new LinkedHashMap<>();
        private final int[] textOffset = new int[1];
        private boolean started;
        private boolean finished;

        Choice(int index) {
            this.index = index;
        }

        @Override
        public void send(Map<String, Object> chunk) {
            if (r.chat() && !started) {
                Map<String, Object> role = new LinkedHashMap<>();
                role.put("role", "assistant");
                role.put("content", "");
                event(OpenAiProtocol.chatChoice(index, "delta", role, null, null));
            }
            started = true;
            String text = OpenAiProtocol.text(chunk, io);
            Object logprobs = OpenAiProtocol.logprobs(r, chunk, textOffset);
            if (!text.isEmpty() || logprobs != null) {
                event(r.chat() ? OpenAiProtocol.chatChoice(index, "delta", Map.of("content", text), logprobs, null)
                        : OpenAiProtocol.completionChoice(index, text, logprobs, null));
            }
            for (String k : List.of("prompt_tokens", "output_tokens", "finish_reason")) {
                if (chunk.containsKey(k)) totals.put(k, chunk.get(k));
            }
        }

        @Override
        public void finish() {
            if (finished) return;
            finished = true;
            String reason = totals.containsKey("finish_reason") ? OpenAiProtocol.finishReason(totals) : "stop";
            if (reason != null) {
                event(r.chat() ? OpenAiProtocol.chatChoice(index, "delta", Map.of(), null, reason)
                        : OpenAiProtocol.completionChoice(index, "", null, reason));
            }
            ended(index, totals);
        }
    }
}
