package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.model.fast.KvPoolSize;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a checkpoint: the model and the tokenizer (loaded on its own thread) arrive together, or a clear error. */
class LoadedModelTest {

    @TempDir
    Path tmp;

    @Test
    void loadsTheModelAndItsTokenizer() throws Exception {
        Path dir = tmp.resolve("ckpt");
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 9, dir);

        try (LoadedModel loaded = LoadedModel.open(dir, "cpu", 2, KvPoolSize.DEFAULT)) {
            int[] ids = loaded.tokenizer().encode("def f(x):");
            assertThat(ids).isNotEmpty();
            assertThat(loaded.tokenizer().decode(ids)).contains("def f(x):");
        }
    }

    @Test
    void aBrokenTokenizerFailsTheLoadWithItsOwnMessage() throws Exception {
        Path dir = tmp.resolve("ckpt");
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 9, dir);
        Files.writeString(dir.resolve("tokenizer.json"), "{ not json");

        assertThatThrownBy(() -> LoadedModel.open(dir, "cpu", 2, KvPoolSize.DEFAULT))
                .isInstanceOf(RuntimeException.class)
                .hasMessageContaining("cannot read tokenizer " + dir.resolve("tokenizer.json"));
    }

    @Test
    void aCheckpointWithoutTokenizerIsRefusedByName() throws Exception {
        Path dir = tmp.resolve("ckpt");
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 9, dir);
        Files.delete(dir.resolve("tokenizer.json"));

        assertThatThrownBy(() -> LoadedModel.open(dir, "cpu", 2, KvPoolSize.DEFAULT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokenizer.json");
    }
}
