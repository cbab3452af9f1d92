package dev.inferless.server;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** A Server-Sent Events body split into its events; each event's bytes must be valid UTF-8 on their own. */
record SseEvents(List<Event> events) {

    record Event(String name, String data) {}

    static SseEvents parse(byte[] body) {
        List<Event> events = new ArrayList<>();
        int start = 0;
        for (int i = 0; i + 1 < body.length; i++) {
            if (body[i] == '\n' && body[i + 1] == '\n') {
                events.add(event(Arrays.copyOfRange(body, start, i)));
                start = i + 2;
                i++;
            }
        }
        if (start != body.length) {
            throw new AssertionError("the stream ends inside an event: " + new String(body, start, body.length - start,
                    StandardCharsets.UTF_8));
        }
        return new SseEvents(events);
    }

    private static Event event(byte[] bytes) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new AssertionError("an event is not valid UTF-8: " + Arrays.toString(bytes), e);
        }
        String name = "message";
        StringBuilder data = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.startsWith("event: ")) {
                name = line.substring("event: ".length());
            } else if (line.startsWith("data: ")) {
                data.append(line.substring("data: ".length()));
            } else {
                throw new AssertionError("not an SSE line: " + line);
            }
        }
        return new Event(name, data.toString());
    }

    /** The data of every event but the final [DONE], which must be there. */
    List<String> dataBeforeDone() {
        if (events.isEmpty() || !events.get(events.size() - 1).data().equals("[DONE]")) {
            throw new AssertionError("the stream does not end with data: [DONE]: " + events);
        }
        return events.subList(0, events.size() - 1).stream().map(Event::data).toList();
    }

    Event last() {
        return events.get(events.size() - 1);
    }
}
