package dev.inferless.serving.testmodel;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Builds model repos for tests in a temporary directory. */
public final class TestRepos {

    public static final Path RESOURCES = Path.of("src/test/resources/repos");
    public static final String SERVICE_FILE = "META-INF/services/dev.inferless.api.InferlessModel";

    private TestRepos() {}

    /** The controllable test repo, its lib/model.jar registering {@code services} (classes from the test classpath). */
    public static Path controllable(Path tmp, Class<?>... services) throws IOException {
        Path repo = copy(RESOURCES.resolve("controllable"), tmp.resolve("controllable"));
        writeServiceJar(repo.resolve("lib/model.jar"), services);
        return repo;
    }

    public static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.collect(Collectors.toList())) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }

    /** A jar holding only the service file: the classes themselves come from the runtime's classpath. */
    public static void writeServiceJar(Path jar, Class<?>... services) throws IOException {
        Files.createDirectories(jar.getParent());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out)) {
            j.putNextEntry(new JarEntry(SERVICE_FILE));
            StringBuilder text = new StringBuilder("# test services\n");
            for (Class<?> c : services) {
                text.append(c.getName()).append('\n');
            }
            j.write(text.toString().getBytes(StandardCharsets.UTF_8));
            j.closeEntry();
        }
    }
}
