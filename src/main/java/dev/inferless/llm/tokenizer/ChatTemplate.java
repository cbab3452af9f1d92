package dev.inferless.llm.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.inferless.api.BadInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns chat messages into the prompt text a checkpoint was trained on: the Jinja {@code chat_template}
 * of its tokenizer_config.json (rendered as transformers does: trim_blocks, lstrip_blocks,
 * {@code bos_token}, {@code eos_token}, {@code add_generation_prompt} true, {@code raise_exception}),
 * or for checkpoints without one (base models such as CodeLlama-Python) {@link #PLAIN}.
 */
public final class ChatTemplate {

    /**
     * For checkpoints without a chat template: each message as "{role}: {content}" on its own
     * paragraph, then "assistant:" for the model to continue.
     */
    public static final String PLAIN = "{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n\n"
            + "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Jinjava JINJA = jinja();

    private final String template;
    private final String bosToken;
    private final String eosToken;

    public ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
    }

    /** The checkpoint's template from {@code dir/tokenizer_config.json}, or {@link #PLAIN} when it has none. */
    public static ChatTemplate of(Path checkpointDir) {
        Path config = checkpointDir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(config)) {
            return new ChatTemplate(PLAIN, "", "");
        }
        JsonNode root;
        try {
            root = JSON.readTree(config.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + config + ": " + e.getMessage(), e);
        }
        return new ChatTemplate(template(root.path("chat_template"), config), token(root.path("bos_token")),
                token(root.path("eos_token")));
    }

    public String template() {
        return template;
    }

    /**
     * The prompt for {@code messages} (each a map with "role" and "content"), ending where the
     * assistant's answer starts. A leading BOS token is left out: the tokenizer adds its own.
     *
     * @throws BadInputException when the template rejects the conversation (raise_exception) or fails on it
     */
    public String render(List<Map<String, String>> messages) {
        Map<String, Object> context = new HashMap<>();
        context.put("messages", messages);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        context.put("add_generation_prompt", true);
        RenderResult result = JINJA.renderForResult(template, context);
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new BadInputException("messages: the chat template rejects them: " + reason(error));
            }
        }
        String prompt = result.getOutput();
        return !bosToken.isEmpty() && prompt.startsWith(bosToken) ? prompt.substring(bosToken.length()) : prompt;
    }

    /** transformers' {@code raise_exception(message)}, which templates call on a conversation they refuse. */
    public static String raiseException(String message) {
        throw new TemplateRejection(message);
    }

    private static final class TemplateRejection extends RuntimeException {
        TemplateRejection(String message) {
            super(message);
        }
    }

    private static String reason(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof TemplateRejection) return t.getMessage();
        }
        return error.getMessage();
    }

    private static Jinjava jinja() {
        Jinjava jinja = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build());
        jinja.getGlobalContext().registerFunction(
                new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        return jinja;
    }

    /** A string, or a list of {"name", "template"} of which "default" is the chat one. */
    private static String template(JsonNode node, Path config) {
        if (node.isMissingNode() || node.isNull()) return PLAIN;
        if (node.isTextual()) return node.asText();
        if (node.isArray()) {
            for (JsonNode named : node) {
                if (named.path("name").asText().equals("default") && named.path("template").isTextual()) {
                    return named.get("template").asText();
                }
            }
        }
        throw new IllegalArgumentException(config + ": chat_template must be a string or a list with a \"default\" template");
    }

    /** A token as tokenizer_config.json spells it: a string, or an AddedToken object with "content". */
    private static String token(JsonNode node) {
        if (node.isTextual()) return node.asText();
        if (node.isObject() && node.path("content").isTextual()) return node.get("content").asText();
        return "";
    }
}
