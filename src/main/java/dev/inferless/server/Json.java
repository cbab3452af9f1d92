package dev.inferless.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** JSON in and out of the HTTP layer; malformed bodies become 400s. */
final class Json {

    static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    static JsonNode parseObject(byte[] body) {
        requireUtf8(body);
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (java.io.IOException e) {
            String msg = e instanceof JsonProcessingException ? ((JsonProcessingException) e).getOriginalMessage() : e.getMessage();
            throw new ApiError(400, "malformed JSON: " + msg);
        }
        if (root == null || !root.isObject()) {
            throw new ApiError(400, "the request body must be a JSON object");
        }
        return root;
    }

    /** JSON is UTF-8 (RFC 8259): overlong forms, surrogates and bytes past U+10FFFF are refused, not repaired. */
    private static void requireUtf8(byte[] body) {
        ByteBuffer in = ByteBuffer.wrap(body);
        CoderResult result = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(in, CharBuffer.allocate(body.length), true);
        if (result.isError()) {
            throw new ApiError(400, "the request body is not valid UTF-8 (at byte " + in.position() + ")");
        }
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
