package dev.inferless.llm.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the fast path's library is looked for: configured first, else native/ beside the runtime. */
class NativeLlmTest {

    @Test
    void aConfiguredPathWinsAndMustExist(@TempDir Path dir) throws Exception {
        Path lib = Files.createFile(dir.resolve("custom.so"));
        Files.createDirectories(dir.resolve("native"));
        Files.createFile(dir.resolve("native/libllm_ops.so"));

        assertThat(NativeLlm.libraryPath(lib.toString(), null, dir)).contains(lib);
        assertThat(NativeLlm.libraryPath(null, lib.toString(), dir)).contains(lib);
        assertThat(NativeLlm.libraryPath(dir.resolve("missing.so").toString(), null, dir))
                .as("a configured path that is not a file means no library, not the default")
                .isEmpty();
    }

    @Test
    void elseTheLibraryBesideTheRuntimesJar(@TempDir Path dir) throws Exception {
        assertThat(NativeLlm.libraryPath(null, " ", dir)).isEmpty();
        assertThat(NativeLlm.libraryPath(null, null, null)).isEmpty();
        Files.createDirectories(dir.resolve("native"));
        Path beside = Files.createFile(dir.resolve("native/libllm_ops.so"));
        assertThat(NativeLlm.libraryPath(null, null, dir)).contains(beside);
    }
}
