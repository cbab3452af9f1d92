package dev.inferless.deploy;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.Yaml;

/** The keys of runtime-config.yaml as the environment spells them: server.port -> INFERLESS_SERVER_PORT. */
final class RuntimeConfigKeys {
    private RuntimeConfigKeys() {}

    static Set<String> environmentNames(Path runtimeConfig) throws IOException {
        try (Reader in = Files.newBufferedReader(runtimeConfig)) {
            Map<String, Object> root = new Yaml().load(in);
            Set<String> names = new TreeSet<>();
            collect("", root, names);
            return names;
        }
    }

    private static void collect(String prefix, Map<?, ?> map, Set<String> names) {
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String key = prefix.isEmpty() ? String.valueOf(e.getKey()) : prefix + "." + e.getKey();
            if (e.getValue() instanceof Map<?, ?> child) {
                collect(key, child, names);
            } else {
                names.add("INFERLESS_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
            }
        }
    }
}
