package dev.inferless.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The native sources (src/main/native, src/test/native), checked here for what would otherwise fail only
 * on the GPU host, where a build costs device time: every source is in its CMake target, every quoted
 * include resolves within the folders its target sees, production code has no entry point and reads no
 * environment variable.
 */
class NativeSourcesTest {

    static final Path MAIN = Path.of("src/main/native");
    static final Path TESTS = Path.of("src/test/native");
    /** Each target's source folder and the folders its quoted includes resolve in (CMakeLists.txt). */
    static final Map<Path, List<Path>> INCLUDE_DIRS = Map.of(
            MAIN.resolve("djl_torch"), List.of(MAIN.resolve("djl_torch"), MAIN.resolve("common")),
            MAIN.resolve("llm_ops"), List.of(MAIN.resolve("llm_ops"), MAIN.resolve("common")),
            TESTS, List.of(TESTS, MAIN.resolve("llm_ops")));
    static final Pattern QUOTED_INCLUDE = Pattern.compile("(?m)^#include \"([^\"]+)\"");

    static List<Path> sources(Path dir, String... extensions) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> Stream.of(extensions).anyMatch(e -> f.getFileName().toString().endsWith(e)))
                    .sorted().toList();
        }
    }

    @Test
    void everyCompiledSourceIsNamedInItsCMakeTarget() throws IOException {
        for (Path dir : List.of(MAIN.resolve("llm_ops"), TESTS)) {
            String cmake = Files.readString(dir.resolve("CMakeLists.txt"));
            for (Path source : sources(dir, ".cpp", ".cu")) {
                assertThat(cmake).as("%s in %s/CMakeLists.txt", source, dir)
                        .containsPattern("[\\s(]" + Pattern.quote(source.getFileName().toString()) + "[\\s)]");
            }
        }
        assertThat(Files.readString(MAIN.resolve("djl_torch/CMakeLists.txt"))).contains("*.cc");
    }

    @Test
    void quotedIncludesResolveInTheFoldersTheirTargetSees() throws IOException {
        List<String> unresolved = new ArrayList<>();
        for (var target : INCLUDE_DIRS.entrySet()) {
            for (Path source : sources(target.getKey(), ".cpp", ".cc", ".cu", ".cuh", ".h")) {
                Matcher include = QUOTED_INCLUDE.matcher(Files.readString(source));
                while (include.find()) {
                    String name = include.group(1);
                    if (target.getValue().stream().noneMatch(d -> Files.isRegularFile(d.resolve(name)))) {
                        unresolved.add(source + ": " + name);
                    }
                }
            }
        }
        assertThat(unresolved).isEmpty();
    }

    @Test
    void checksAndBenchmarksLiveUnderSrcTest() throws IOException {
        Pattern entryPoint = Pattern.compile("\\bint\\s+main\\s*\\(");
        for (Path source : sources(MAIN, ".cpp", ".cc", ".cu")) {
            assertThat(entryPoint.matcher(Files.readString(source)).find()).as("an entry point in %s", source).isFalse();
        }
        assertThat(entryPoint.matcher(Files.readString(TESTS.resolve("fast_check.cpp"))).find()).isTrue();
    }

    @Test
    void productionNativeCodeReadsNoEnvironmentVariable() throws IOException {
        for (Path source : sources(MAIN, ".cpp", ".cc", ".cu", ".cuh", ".h")) {
            assertThat(Files.readString(source)).as(source.toString()).doesNotContain("getenv");
        }
    }
}
