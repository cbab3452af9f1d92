package dev.inferless.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** The YAML documents under deploy/, each with the file it came from; plus path lookups into them. */
record Manifests(List<Manifests.Doc> docs) {

    record Doc(Path file, Map<String, Object> body) {
        String kind() {
            return (String) body.get("kind");
        }

        String apiVersion() {
            return (String) body.get("apiVersion");
        }

        String name() {
            return (String) map(body, "metadata").get("name");
        }
    }

    static Manifests load(Path root) {
        List<Doc> docs = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (Reader in = Files.newBufferedReader(file)) {
                    for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(in)) {
                        if (doc != null) {
                            docs.add(new Doc(file, cast(doc, file + ": document")));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Manifests(List.copyOf(docs));
    }

    List<Doc> ofKind(String kind) {
        return docs.stream().filter(d -> kind.equals(d.kind())).toList();
    }

    Doc one(String kind) {
        List<Doc> found = ofKind(kind);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + ", found " + found.size());
        }
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object value, String where) {
        if (!(value instanceof Map<?, ?>)) {
            throw new AssertionError(where + ": expected a mapping, got " + value);
        }
        return (Map<String, Object>) value;
    }

    static Map<String, Object> map(Map<String, Object> parent, String... path) {
        Map<String, Object> current = parent;
        for (String key : path) {
            current = cast(current.get(key), key);
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        if (!(value instanceof List<?>)) {
            throw new AssertionError(key + ": expected a list, got " + value);
        }
        return (List<Map<String, Object>>) value;
    }
}
