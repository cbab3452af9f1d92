package dev.inferless.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** The fixed Python code-completion prompts every benchmark run uses (resource prompts.json). */
public final class BenchPrompts {

    private BenchPrompts() {}

    public static List<String> load() {
        try (InputStream in = BenchPrompts.class.getResourceAsStream("prompts.json")) {
            if (in == null) throw new IllegalStateException("resource dev/inferless/bench/prompts.json is missing");
            List<String> prompts = new ArrayList<>();
            for (JsonNode p : new ObjectMapper().readTree(in).path("prompts")) prompts.add(p.asText());
            return List.copyOf(prompts);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the benchmark prompts", e);
        }
    }
}
