package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointCacheTest {

    @TempDir Path root;

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void makesOnceThenReuses() {
        Path dir = root.resolve("cache/tiny-gptq");
        AtomicInteger made = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            assertThat(CheckpointCache.ensure(dir, d -> {
                made.incrementAndGet();
                write(d.resolve("config.json"), "{}");
            })).isEqualTo(dir);
        }
        assertThat(made).hasValue(1);
        assertThat(dir.resolve("config.json")).exists();
        assertThat(root.resolve("cache").toFile().list()).containsExactly("tiny-gptq");
    }

    @Test
    void aFailedMakeLeavesNothingBehindAndAHalfDirectoryIsReplaced() throws Exception {
        Path dir = root.resolve("tiny");
        assertThatThrownBy(() -> CheckpointCache.ensure(dir, d -> {
            write(d.resolve("model.safetensors"), "partial");
            throw new IllegalStateException("disk full");
        })).hasMessageContaining("disk full");
        assertThat(root.toFile().list()).isEmpty();

        Files.createDirectories(dir);
        write(dir.resolve("leftover"), "x");
        CheckpointCache.ensure(dir, d -> write(d.resolve("config.json"), "{}"));
        assertThat(dir.toFile().list()).containsExactly("config.json");
    }
}
