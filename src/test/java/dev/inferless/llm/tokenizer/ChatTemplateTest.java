package dev.inferless.llm.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.api.BadInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chat templates as Hugging Face checkpoints ship them, rendered as transformers renders them. */
class ChatTemplateTest {

    /** Llama-2-chat's template (tokenizer_config.json of meta-llama/Llama-2-7b-chat-hf). */
    static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
            + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{% if loop.index0 == 0 and system_message != false %}"
            + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
            + "{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}"
            + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
            + "{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    @TempDir
    Path dir;

    @Test
    void llama2TemplateFromTokenizerConfig() throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), new ObjectMapper().writeValueAsString(Map.of(
                "chat_template", LLAMA2, "bos_token", Map.of("content", "<s>", "lstrip", false), "eos_token", "</s>")));
        ChatTemplate t = ChatTemplate.of(dir);
        String prompt = t.render(List.of(Map.of("role", "system", "content", "Be brief."),
                Map.of("role", "user", "content", " hi "), Map.of("role", "assistant", "content", "hello"),
                Map.of("role", "user", "content", "more")));
        // the leading BOS is the tokenizer's to add; the later ones stay
        assertThat(prompt).isEqualTo("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\n hi [/INST] hello </s><s>[INST] more [/INST]");
        assertThatThrownBy(() -> t.render(List.of(Map.of("role", "assistant", "content", "x"))))
                .isInstanceOf(BadInputException.class).hasMessageContaining("Conversation roles must alternate");
    }

    @Test
    void checkpointsWithoutATemplateGetThePlainOne() {
        String prompt = ChatTemplate.of(dir).render(List.of(Map.of("role", "system", "content", "S"),
                Map.of("role", "user", "content", "U")));
        assertThat(prompt).isEqualTo("system: S\n\nuser: U\n\nassistant:");
    }
}
