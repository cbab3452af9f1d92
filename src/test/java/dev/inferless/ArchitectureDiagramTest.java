package dev.inferless;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** docs/architecture.md's diagram of a request's path names classes and methods that exist. */
class ArchitectureDiagramTest {

    /** A CamelCase class name of two humps or more, or any class name followed by a method. */
    private static final Pattern NAME = Pattern.compile("\\b([A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+|[A-Z][a-z0-9]+(?=\\.[a-z]))"
            + "(?:\\.([a-z][A-Za-z0-9]*))?");

    @Test
    void everyClassAndMethodOnTheRequestPathExists() throws IOException {
        String doc = Files.readString(Path.of("docs/architecture.md"));
        int section = doc.indexOf("## A request's path");
        int start = doc.indexOf("```text", section);
        String diagram = doc.substring(start, doc.indexOf("```", start + 7));
        List<String> named = new ArrayList<>();
        Matcher m = NAME.matcher(diagram);
        while (m.find()) {
            String type = m.group(1);
            Optional<Path> source = sourceOf(type);
            assertThat(source).as("class %s named in docs/architecture.md's request path", type).isPresent();
            if (m.group(2) != null) {
                assertThat(Files.readString(source.get())).as("%s.%s", type, m.group(2)).contains(" " + m.group(2) + "(");
            }
            named.add(type);
        }
        assertThat(named).contains("HttpServer", "InferenceService", "RequestScheduler", "ModelHost", "LlmEngine",
                "ContinuousBatcher", "Scheduler", "CancellationToken");
    }

    private static Optional<Path> sourceOf(String type) throws IOException {
        for (Path root : List.of(Path.of("src/main/java"), Path.of("models"))) {
            try (Stream<Path> files = Files.walk(root)) {
                Optional<Path> found = files.filter(f -> f.getFileName().toString().equals(type + ".java")).findFirst();
                if (found.isPresent()) return found;
            }
        }
        return Optional.empty();
    }
}
