package dev.inferless.bench;

import dev.inferless.llm.checkpoint.Quantization;
import dev.inferless.llm.engine.CheckpointLocation;
import dev.inferless.llm.engine.Generator;
import dev.inferless.llm.engine.LoadedModel;
import dev.inferless.llm.engine.TextGenerationSettings;
import dev.inferless.llm.model.fast.KvPoolSize;
import dev.inferless.repo.RepoConfigFile;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench}: cold start and steady-state generation figures for a model repo, a checkpoint, or a running server. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark generation on the fixed Python code-completion prompts; writes bench.md and bench.json.")
public final class BenchCommand implements Callable<Integer> {

    static final class Source {
        @Option(names = "--model", description = "A model repo directory (its config.yaml's model.weights; empty = the cached tiny checkpoint).")
        Path model;

        @Option(names = "--weights", description = "A checkpoint directory in the Hugging Face layout.")
        Path weights;

        @Option(names = "--url", description = "A running server (http://host:port): the prompts go through its streaming /v1/completions.")
        URI url;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--runs", defaultValue = "3", description = "Passes over the prompts after the cold start (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--max-tokens", defaultValue = "512", description = "Output tokens per request (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--ignore-eos", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Generate max_tokens even past EOS, so every request does the same work (default ${DEFAULT-VALUE}).")
    boolean ignoreEos;

    @Option(names = "--device", description = "cpu, gpu or auto (default: the repo's model.device, else auto; with --url, the server's).")
    String device;

    @Option(names = "--out", defaultValue = "bench-results", description = "Directory for bench.md and bench.json (default ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
        if (source.url != null) return viaHttp();
        Path checkpointDir;
        String modelName;
        String configuredDevice = "auto";
        if (source.weights != null) {
            checkpointDir = source.weights;
            modelName = source.weights.toAbsolutePath().normalize().getFileName().toString();
        } else {
            TextGenerationSettings settings = TextGenerationSettings.from(modelSection(RepoConfigFile.of(source.model)));
            configuredDevice = settings.device();
            modelName = source.model.toAbsolutePath().normalize().getFileName().toString();
            // a made checkpoint is made once, outside the timed load, as the model repo does at its first start
            CheckpointLocation location = CheckpointLocation.resolve(source.model, settings, TextGenerationSettings.defaultCacheRoot());
            checkpointDir = location.dir();
            if (location.random()) {
                System.err.println("warning: " + location.randomWarning());
                modelName += " (tiny " + settings.checkpointFormat() + ")";
            }
        }
        String chosenDevice = device != null ? device : configuredDevice;
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            BenchReport report = new Benchmark(System::nanoTime).run(
                    new Benchmark.Labels(modelName, machine(), LocalDate.now().toString()),
                    () -> load(checkpointDir, chosenDevice, resources),
                    BenchPrompts.load(), runs, maxTokens, ignoreEos);
            return write(report);
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) resources.get(i).close();
        }
    }

    /** The same benchmark through a running server's HTTP API; its cold start is the one it reports. */
    private int viaHttp() throws Exception {
        BenchReport report;
        try {
            ServerTarget server = ServerTarget.connect(source.url, System::nanoTime);
            boolean eos = ignoreEos && server.takesIgnoreEos();
            if (ignoreEos && !eos) {
                System.err.println("warning: the server's model takes no ignore_eos input: requests may end at EOS");
            }
            report = new Benchmark(System::nanoTime).run(
                    new Benchmark.Labels(server.model(), "the server at " + source.url + " via HTTP (client: " + machine() + ")",
                            LocalDate.now().toString()),
                    server::loaded, BenchPrompts.load(), runs, maxTokens, eos);
        } catch (ServerException e) {
            // expected (server down, a request refused): one line, no stack trace
            System.err.println("error: " + e.getMessage());
            return 1;
        }
        return write(report);
    }

    private int write(BenchReport report) throws IOException {
        Files.createDirectories(out);
        Files.writeString(out.resolve("bench.md"), report.toMarkdown());
        Files.writeString(out.resolve("bench.json"), report.toJson());
        System.out.print(report.toMarkdown());
        System.out.println("\nwrote " + out.resolve("bench.md") + " and " + out.resolve("bench.json"));
        return 0;
    }

    private static Benchmark.Loaded load(Path checkpointDir, String device, List<AutoCloseable> resources) {
        LoadedModel loaded = LoadedModel.open(checkpointDir, device, 1, KvPoolSize.DEFAULT);
        resources.add(loaded);
        Generator generator = new Generator(loaded.model(), loaded.tokenizer(), 0);
        return new Benchmark.Loaded(generator::generate, describe(loaded.checkpoint().quantization()), loaded.model().device());
    }

    static String describe(Quantization q) {
        if (q instanceof Quantization.Gptq g) {
            return "GPTQ " + g.bits() + "-bit" + (g.groupSize() > 0 ? " g" + g.groupSize() : "") + (g.descAct() ? " act-order" : "");
        }
        if (q instanceof Quantization.Awq a) {
            return "AWQ " + a.bits() + "-bit g" + a.groupSize();
        }
        return "none";
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> modelSection(Path configYaml) throws IOException {
        if (!Files.isRegularFile(configYaml)) {
            throw new IllegalArgumentException("--model: " + configYaml + " does not exist");
        }
        try (Reader r = Files.newBufferedReader(configYaml)) {
            Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
            Object model = root instanceof Map<?, ?> m ? m.get("model") : null;
            return model instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
        }
    }

    /** "Linux x86_64, 16 CPUs (model name)": what a reader needs to compare figures. */
    static String machine() {
        String cpu = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> " (" + l.substring(l.indexOf(':') + 1).trim() + ")").orElse("");
        } catch (IOException e) {
            // not Linux: the OS and core count still say enough
        }
        return System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs" + cpu;
    }
}
