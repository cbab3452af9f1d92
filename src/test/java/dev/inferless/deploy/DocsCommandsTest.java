package dev.inferless.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.deploy.DocCommands.Command;
import dev.inferless.deploy.Manifests.Doc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The commands in the user docs that this machine cannot run (docker, kubectl) checked against what they
 * name: Dockerfile arguments and stages, images built earlier in the docs, ports, configuration keys,
 * manifests; and the runnable ones for their shape. scripts/check-docs runs the runnable ones.
 */
class DocsCommandsTest {

    static final List<Path> DOCS = List.of(
            Path.of("docs/getting-started.md"), Path.of("docs/deployment.md"), Path.of("docs/architecture.md"),
            Path.of("docs/api.md"));
    static final Set<String> RUNTIME_SUBCOMMANDS = Set.of("serve", "infer", "init", "bench", "make-checkpoint");
    static final List<Pattern> RUNTIME_ROUTES = List.of(
            Pattern.compile("/v2"), Pattern.compile("/v2/health/(live|ready)"), Pattern.compile("/v2/models/[\\w.-]+"),
            Pattern.compile("/v2/models/[\\w.-]+(/versions/[\\w.-]+)?/(ready|infer|generate|generate_stream)"),
            Pattern.compile("/infer"), Pattern.compile("/v1/completions"), Pattern.compile("/v1/models"),
            Pattern.compile("/metrics"));
    static final Set<String> KSERVE_V2_DATATYPES = Set.of("BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8",
            "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BF16", "BYTES");

    static List<Command> commands() throws IOException {
        List<Command> all = new ArrayList<>();
        for (Path doc : DOCS) {
            all.addAll(DocCommands.read(doc));
        }
        return all;
    }

    static List<Command> commands(String... prefix) throws IOException {
        return commands().stream().filter(c -> c.startsWith(prefix)).toList();
    }

    @Test
    void docsHaveCommandsAndEachIsOfAKindCheckDocsExercises() throws IOException {
        List<Command> commands = commands();

        assertThat(commands).hasSizeGreaterThan(15);
        for (Command c : commands) {
            assertThat(c.first()).as(c.line()).matches("mvn|java|curl|docker|kubectl|scripts/[\\w-]+");
            if (c.first().startsWith("scripts/")) {
                assertThat(Path.of(c.first())).as(c.line()).isRegularFile().isExecutable();
            }
        }
    }

    @Test
    void javaCommandsRunTheRunnableJarWithARuntimeSubcommand() throws IOException {
        String jar = "target/" + finalName() + ".jar";
        List<Command> javas = commands("java");

        assertThat(javas).isNotEmpty();
        for (Command c : javas) {
            assertThat(c.words()).as(c.line()).startsWith("java", "-jar", jar);
            assertThat(c.words().get(3)).as(c.line()).isIn(RUNTIME_SUBCOMMANDS);
        }
        assertThat(commands("mvn")).allSatisfy(c -> assertThat(c.words()).contains("package"));
    }

    @Test
    void dockerCommandsFitTheDockerfile() throws IOException {
        ParsedDockerfile dockerfile = DockerfileTest.PARSED;
        Set<String> args = new HashSet<>(DockerfileTest.argDefaults(dockerfile.globalArgs()).keySet());
        dockerfile.stages().forEach(s -> args.addAll(DockerfileTest.argDefaults(s.all("ARG")).keySet()));
        Set<String> stages = new HashSet<>(dockerfile.stages().stream().map(ParsedDockerfile.Stage::name).toList());
        Set<String> builtImages = new HashSet<>();
        Set<String> configKeys = RuntimeConfigKeys.environmentNames(Path.of("runtime-config.yaml"));
        String imagePort = DockerfileTest.env(dockerfile.stage("runtime")).get("INFERLESS_SERVER_PORT");
        int grace = (Integer) Manifests.map(new org.yaml.snakeyaml.Yaml().load(Files.readString(Path.of("runtime-config.yaml"))), "server")
                .get("shutdown_grace_s");

        int runs = 0;
        for (Command c : commands()) {
            if (c.startsWith("scripts/build-image") && !c.words().contains("--print")) {
                builtImages.add(buildImageTag(c));
            }
            if (c.startsWith("docker", "build")) {
                assertThat(c.words().get(c.words().size() - 1)).as(c.line()).isEqualTo(".");
                for (String buildArg : c.options("--build-arg")) {
                    String[] kv = buildArg.split("=", 2);
                    assertThat(args).as(c.line()).contains(kv[0]);
                    if (kv[0].equals("VARIANT")) {
                        assertThat(BuildImageCommand.Variant.valueOf(kv[1])).isNotNull();
                    }
                }
                if (c.option("--target") != null) {
                    assertThat(stages).as(c.line()).contains(c.option("--target"));
                }
                assertThat(c.option("-t")).as(c.line()).isNotNull();
                builtImages.add(c.option("-t"));
            }
            if (c.startsWith("docker", "run")) {
                runs++;
                DockerRun run = DockerRun.parse(c);
                assertThat(builtImages).as("%s: image built earlier in the docs", c.line()).contains(run.image());
                String port = run.env().getOrDefault("INFERLESS_SERVER_PORT", imagePort);
                assertThat(run.publish()).as(c.line()).allSatisfy(p -> assertThat(p).endsWith(":" + port));
                assertThat(configKeys).as(c.line()).containsAll(run.env().keySet());
                assertThat(run.volumes()).as(c.line()).allSatisfy(v -> assertThat(v).containsPattern(":/model(/[\\w.-]+)*(:ro)?$"));
                if (run.stopTimeout() != null) {
                    assertThat(Integer.parseInt(run.stopTimeout())).as(c.line()).isGreaterThan(grace);
                }
                if (run.readOnly()) {
                    // the image writes only to /tmp and its cache; DJL loads libraries from both (exec)
                    assertThat(run.tmpfs()).as(c.line()).anySatisfy(t -> assertThat(t).startsWith("/tmp:").contains("exec"))
                            .anySatisfy(t -> assertThat(t).startsWith("/var/cache/inferless:").contains("exec", "uid=10001"));
                }
            }
        }
        assertThat(runs).isGreaterThanOrEqualTo(3);
    }

    record DockerRun(String image, List<String> publish, Map<String, String> env, List<String> volumes, String stopTimeout,
                     boolean readOnly, List<String> tmpfs) {
        static final Set<String> FLAGS_WITH_VALUE = Set.of("-p", "-e", "-v", "--stop-timeout", "--gpus", "--tmpfs");
        static final Set<String> FLAGS = Set.of("--rm", "--read-only");

        static DockerRun parse(Command c) {
            List<String> words = c.words();
            List<String> publish = new ArrayList<>();
            Map<String, String> env = new java.util.LinkedHashMap<>();
            List<String> volumes = new ArrayList<>();
            String stopTimeout = null;
            List<String> tmpfs = new ArrayList<>();
            int i = 2;
            for (; i < words.size() && words.get(i).startsWith("-"); i++) {
                String flag = words.get(i);
                if (FLAGS.contains(flag)) {
                    continue;
                }
                assertThat(FLAGS_WITH_VALUE).as("%s: flag %s", c.line(), flag).contains(flag);
                String value = words.get(++i);
                switch (flag) {
                    case "-p" -> publish.add(value);
                    case "-e" -> env.put(value.split("=", 2)[0], value.split("=", 2)[1]);
                    case "-v" -> volumes.add(value);
                    case "--stop-timeout" -> stopTimeout = value;
                    case "--tmpfs" -> tmpfs.add(value);
                    default -> { }
                }
            }
            assertThat(i).as("%s: an image", c.line()).isLessThan(words.size());
            assertThat(words.subList(i + 1, words.size())).as("%s: arguments after the image", c.line())
                    .allSatisfy(w -> assertThat(w).matches("--set|[\\w.]+=.*"));
            return new DockerRun(words.get(i), publish, env, volumes, stopTimeout, words.subList(2, i).contains("--read-only"), tmpfs);
        }
    }

    static String buildImageTag(Command c) {
        if (c.option("--tag") != null) {
            return c.option("--tag");
        }
        return "inferless/" + Path.of(c.option("--model")).getFileName() + ":latest";
    }

    @Test
    void buildImageCommandsParseAsTheScriptsOptions() throws IOException {
        List<Command> buildImages = commands("scripts/build-image");

        assertThat(buildImages).hasSizeGreaterThanOrEqualTo(3);
        for (Command c : buildImages) {
            String[] arguments = c.words().subList(1, c.words().size()).toArray(String[]::new);
            CommandLine.ParseResult parsed = new CommandLine(new BuildImageCommand()).parseArgs(arguments);
            assertThat(parsed.hasMatchedOption("--model")).as(c.line()).isTrue();
            assertThat(Path.of(c.option("--model")).startsWith("models")).as(c.line()).isTrue();
        }
    }

    @Test
    void kubectlCommandsNameTheManifests() throws IOException {
        Manifests all = Manifests.load(Path.of("deploy"));
        List<Command> kubectls = commands("kubectl");

        assertThat(kubectls).hasSizeGreaterThanOrEqualTo(4);
        for (Command c : kubectls) {
            switch (c.words().get(1)) {
                case "apply" -> {
                    if (c.option("-k") != null) {
                        assertThat(Path.of(c.option("-k"), "kustomization.yaml")).as(c.line()).isRegularFile();
                    } else {
                        assertThat(Path.of(c.option("-f"))).as(c.line()).isRegularFile();
                    }
                }
                case "port-forward" -> {
                    String service = c.words().get(2).replaceFirst("^svc/", "");
                    String remote = c.words().get(3).split(":")[1];
                    Doc svc = all.ofKind("Service").stream().filter(d -> d.name().equals(service)).findFirst().orElseThrow();
                    assertThat(Manifests.list(Manifests.map(svc.body(), "spec"), "ports"))
                            .as(c.line()).anyMatch(p -> String.valueOf(p.get("port")).equals(remote));
                }
                case "get" -> assertThat(all.docs()).as(c.line())
                        .anyMatch(d -> d.kind().equalsIgnoreCase(c.words().get(2)) && d.name().equals(c.words().get(3)));
                default -> throw new AssertionError("unchecked kubectl command: " + c.line());
            }
        }
    }

    @Test
    void curlCommandsUseRuntimeRoutesWithWellFormedBodies() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Command> curls = commands("curl");

        assertThat(curls).hasSizeGreaterThanOrEqualTo(4);
        for (Command c : curls) {
            String url = c.words().stream().filter(w -> w.startsWith("localhost:")).findFirst().orElseThrow();
            String path = url.replaceFirst("^localhost:\\d+", "");
            assertThat(RUNTIME_ROUTES).as(c.line()).anyMatch(r -> r.matcher(path).matches());
            String body = c.option("-d");
            if (body == null) {
                continue;
            }
            assertThat(c.option("-X")).as(c.line()).isEqualTo("POST");
            assertThat(c.options("-H")).as(c.line()).contains("Content-Type: application/json");
            JsonNode request = json.readTree(body);
            if (path.endsWith("/infer") && path.startsWith("/v2/")) {
                assertThat(request.get("inputs")).as(c.line()).isNotEmpty();
                for (JsonNode input : request.get("inputs")) {
                    assertThat(input.get("name").isTextual()).as(c.line()).isTrue();
                    assertThat(input.get("shape").isArray()).as(c.line()).isTrue();
                    assertThat(input.get("datatype").asText()).as(c.line()).isIn(KSERVE_V2_DATATYPES);
                    assertThat(input.get("data").size()).as(c.line())
                            .isEqualTo(product(input.get("shape")));
                }
            } else {
                assertThat(request.isObject()).as(c.line()).isTrue();
            }
        }
    }

    @Test
    void testsThatCheckDocsCitesExist() throws IOException, ClassNotFoundException {
        java.util.regex.Matcher cited = Pattern.compile("(\\w+Test)(#(\\w+))?").matcher(Files.readString(Path.of("scripts/check-docs")));
        int count = 0;
        while (cited.find()) {
            Class<?> test = Class.forName("dev.inferless.deploy." + cited.group(1));
            if (cited.group(3) != null) {
                String method = cited.group(3);
                assertThat(test.getDeclaredMethods()).as(cited.group()).anyMatch(m -> m.getName().equals(method));
            }
            count++;
        }
        assertThat(count).isGreaterThanOrEqualTo(5);
    }

    static int product(JsonNode shape) {
        int n = 1;
        for (JsonNode d : shape) {
            n *= d.asInt();
        }
        return n;
    }

    static String finalName() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        java.util.regex.Matcher m = Pattern.compile("<finalName>([^<]+)</finalName>").matcher(pom);
        assertThat(m.find()).isTrue();
        return m.group(1);
    }
}
