package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A chat request's {@code messages}, checked and reduced to what a chat template reads: a list of
 * {role, content} with text content. Parts other than text (images, audio) and tool calls are
 * rejected, naming the message.
 */
final class ChatMessages {

    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    private ChatMessages() {}

    /** The messages as the model's {@code messages} input: a JSON list of {"role", "content"}. */
    static String check(JsonNode messages) {
        if (!messages.isArray() || messages.isEmpty()) {
            throw OpenAiRequest.bad("messages", "messages must be a non-empty list of {role, content}");
        }
        List<Map<String, String>> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) throw OpenAiRequest.bad("messages", at + " must be an object");
            for (Iterator<String> keys = m.fieldNames(); keys.hasNext(); ) {
                String key = keys.next();
                if (!key.equals("role") && !key.equals("content") && !(key.equals("name") && m.get(key).isNull())) {
                    throw OpenAiRequest.bad("messages", at + "." + key + " is not supported (only role and content)");
                }
            }
            String role = m.path("role").asText("");
            if (!ROLES.contains(role)) {
                throw OpenAiRequest.bad("messages", at + ".role must be one of " + ROLES + ", got " + m.path("role"));
            }
            Map<String, String> message = new LinkedHashMap<>();
            message.put("role", role);
            message.put("content", content(m.path("content"), at));
            out.add(message);
        }
        return Json.write(out);
    }

    /** A string, or a list of {"type": "text", "text": ...} parts joined. */
    private static String content(JsonNode content, String at) {
        if (content.isTextual()) return content.asText();
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                    throw OpenAiRequest.bad("messages", at + ".content: only text parts are supported, got " + part.path("type"));
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw OpenAiRequest.bad("messages", at + ".content must be a string or a list of text parts");
    }
}
