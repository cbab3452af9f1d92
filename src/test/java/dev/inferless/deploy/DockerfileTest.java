package dev.inferless.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.deploy.ParsedDockerfile.Instruction;
import dev.inferless.deploy.ParsedDockerfile.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The project's Dockerfile, checked for what the runtime and the orchestrators rely on, without Docker. */
class DockerfileTest {

    static final Path DOCKERFILE = Path.of("Dockerfile");
    static final ParsedDockerfile PARSED = parse();

    static ParsedDockerfile parse() {
        try {
            return ParsedDockerfile.parse(Files.readString(DOCKERFILE));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> argDefaults(List<Instruction> args) {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (Instruction arg : args) {
            String[] kv = arg.arguments().split("=", 2);
            defaults.put(kv[0], kv.length == 2 ? kv[1].replace("\"", "") : null);
        }
        return defaults;
    }

    /** ENV instructions of a stage as a map (the KEY=value form, several per instruction). */
    static Map<String, String> env(Stage stage) {
        Map<String, String> env = new LinkedHashMap<>();
        Pattern pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)");
        for (Instruction instruction : stage.all("ENV")) {
            Matcher m = pair.matcher(instruction.arguments());
            while (m.find()) {
                env.put(m.group(1), m.group(2).replace("\"", ""));
            }
        }
        return env;
    }

    @Test
    void buildsThroughMavenJlinkLibtorchNativeAndLayoutStagesToOneRuntimeStage() {
        Map<String, String> args = argDefaults(PARSED.globalArgs());
        assertThat(PARSED.stages()).extracting(Stage::name).containsExactly("build", "jre", "libtorch", "native",
                "layout-cpu", "layout-gpu", "layout", "runtime-gpu", "runtime-cpu", "runtime");
        assertThat(args.get("BUILD_IMAGE")).startsWith("maven:").contains("temurin-17");
        assertThat(PARSED.stage("jre").all("RUN").get(0).arguments()).startsWith("jlink ").contains("--output /opt/jre");
        assertThat(args).containsEntry("CUDA_BASE_IMAGE", "nvidia/cuda:${CUDA_VERSION}-base-ubuntu${UBUNTU_VERSION}")
                .containsEntry("CUDA_DEVEL_IMAGE", "nvidia/cuda:${CUDA_VERSION}-cudnn-devel-ubuntu${UBUNTU_VERSION}")
                .containsEntry("CPU_BASE_IMAGE", "ubuntu:${UBUNTU_VERSION}");
        assertThat(PARSED.stage("runtime-gpu").base()).isEqualTo("${CUDA_BASE_IMAGE}");
        assertThat(PARSED.stage("native").base()).isEqualTo("${CUDA_DEVEL_IMAGE}");
        assertThat(PARSED.stage("layout").base()).isEqualTo("layout-${VARIANT}");
        assertThat(PARSED.last().base()).isEqualTo("runtime-${VARIANT}");
    }

    @Test
    void everyBaseImageIsABuildArgumentSoTheImageBuildsWithoutDockerHub() {
        Set<String> args = argDefaults(PARSED.globalArgs()).keySet();
        Set<String> earlier = new HashSet<>();
        for (Stage stage : PARSED.stages()) {
            String base = stage.base();
            boolean ofAStage = earlier.contains(base) || base.endsWith("-${VARIANT}");
            assertThat(ofAStage || base.matches("\\$\\{[A-Z_]+}") && args.contains(base.substring(2, base.length() - 1)))
                    .as("FROM %s (stage %s): an earlier stage or a build argument", base, stage.name()).isTrue();
            earlier.add(stage.name());
        }
    }

    @Test
    void variantArgumentSelectsAnExistingStage() {
        Map<String, String> args = argDefaults(PARSED.globalArgs());
        Set<String> names = new HashSet<>(PARSED.stages().stream().map(Stage::name).toList());

        assertThat(args).containsEntry("VARIANT", "gpu").containsEntry("CUDA_VERSION", BuildSpec.DEFAULT_CUDA_VERSION);
        for (BuildImageCommand.Variant variant : BuildImageCommand.Variant.values()) {
            assertThat(names).contains("runtime-" + variant, "layout-" + variant);
        }
    }

    @Test
    void everyCopyFromNamesAnEarlierStage() {
        Set<String> earlier = new HashSet<>();
        for (Stage stage : PARSED.stages()) {
            for (Instruction copy : stage.all("COPY")) {
                Matcher from = Pattern.compile("--from=(\\S+)").matcher(copy.arguments());
                if (from.find()) {
                    assertThat(earlier).as("COPY at line %d", copy.line()).contains(from.group(1));
                }
            }
            earlier.add(stage.name());
        }
    }

    @Test
    void entrypointIsTheLayoutScriptInExecFormServingModel() throws IOException {
        Stage runtime = PARSED.stage("runtime");
        List<String> entrypoint = new ObjectMapper().readValue(
                runtime.last("ENTRYPOINT").orElseThrow().arguments(), new TypeReference<List<String>>() {});

        assertThat(entrypoint).containsExactly(ImageLayoutTest.IMAGE_SCRIPT, "serve", "--model", "/model")
                .as("nothing after the model dir, so `docker run IMAGE --set k=v` appends options");
        assertThat(runtime.all("COPY")).extracting(Instruction::arguments).contains("--from=layout /rootfs/ /");
        for (String layout : List.of("layout-cpu", "layout-gpu")) {
            assertThat(PARSED.stage(layout).last("RUN").orElseThrow().arguments())
                    .contains("sh /staging/layout install /rootfs ");
        }
        assertThat(PARSED.stage("layout-cpu").all("COPY")).extracting(Instruction::arguments)
                .contains("src/main/image/layout /staging/layout");
        assertThat(runtime.last("STOPSIGNAL").orElseThrow().arguments()).isEqualTo("SIGTERM");
    }

    @Test
    void runsAsTheNonRootUserItCreates() {
        Stage runtime = PARSED.stage("runtime");
        String user = runtime.last("USER").orElseThrow().arguments();

        assertThat(user).matches("[1-9][0-9]*:[1-9][0-9]*").isEqualTo(ModelStage.APP_USER);
        String uid = user.split(":")[0];
        assertThat(runtime.all("RUN").get(0).arguments()).contains("useradd --uid " + uid);
        assertThat(runtime.last("RUN").orElseThrow().arguments()).isEqualTo("chown " + user + " /var/cache/inferless")
                .as("the one written directory besides /tmp");
        assertThat(runtime.instructions().indexOf(runtime.last("USER").orElseThrow()))
                .as("USER comes after every RUN")
                .isGreaterThan(runtime.instructions().indexOf(runtime.last("RUN").orElseThrow()));
    }

    @Test
    void healthCheckAsksReadinessOnThePortTheEnvironmentSets() {
        Stage runtime = PARSED.stage("runtime");
        String healthcheck = runtime.last("HEALTHCHECK").orElseThrow().arguments();
        Map<String, String> env = env(runtime);

        assertThat(healthcheck).contains("CMD curl -fsS", "http://127.0.0.1:${INFERLESS_SERVER_PORT}/v2/health/ready");
        assertThat(healthcheck).containsPattern("--start-period=\\d+s");
        assertThat(env).containsEntry("INFERLESS_SERVER_PORT", "8080");
        assertThat(runtime.last("EXPOSE").orElseThrow().arguments()).isEqualTo(env.get("INFERLESS_SERVER_PORT"));
    }

    @Test
    void everyInferlessVariableIsARuntimeConfigurationKey() throws IOException {
        Set<String> keys = RuntimeConfigKeys.environmentNames(Path.of("runtime-config.yaml"));
        List<String> used = new ArrayList<>();
        for (Stage stage : PARSED.stages()) {
            env(stage).keySet().stream().filter(k -> k.startsWith("INFERLESS_")).forEach(used::add);
        }

        assertThat(used).isNotEmpty();
        assertThat(keys).containsAll(used);
    }

    @Test
    void gpuImageCarriesLibtorchForTheCudaItsBaseImageHasAndBuildsItsBindingForA100AndH100() {
        Map<String, String> libtorchArgs = argDefaults(PARSED.stage("libtorch").all("ARG"));
        Map<String, String> nativeArgs = argDefaults(PARSED.stage("native").all("ARG"));
        String flavor = "cu" + BuildSpec.CUDA_MINOR.replace(".", "");

        assertThat(libtorchArgs.get("LIBTORCH_URL")).contains("/" + flavor + "/", "%2B" + flavor + ".zip");
        assertThat(nativeArgs).containsEntry("CUDA_ARCHITECTURES", "80;90a");
        String build = String.join("\n", PARSED.stage("native").all("RUN").stream().map(Instruction::arguments).toList());
        assertThat(build).contains("bash /src/scripts/build-native.sh", "libdjl_torch.so", "libllm_ops.so",
                "-DCMAKE_CUDA_ARCHITECTURES=\"${CUDA_ARCHITECTURES}\"");
    }

    @Test
    void djlsJniJarCarriesTheCpuBindingForTheCpuImage() throws IOException {
        Map<String, String> pom = PomProperties.read(Path.of("pom.xml"));
        ClassLoader loader = getClass().getClassLoader();
        java.util.Properties jni = new java.util.Properties();
        try (var in = loader.getResourceAsStream("jnilib/pytorch.properties")) {
            assertThat(in).as("pytorch-jni on the classpath").isNotNull();
            jni.load(in);
        }

        assertThat(jni.getProperty("jni_version")).isEqualTo(pom.get("pytorch.version") + "-" + pom.get("djl.version"));
        assertThat(loader.getResource("jnilib/linux-x86_64/cpu/libdjl_torch.so")).isNotNull();
    }

    @Test
    void jreKeepsTheCompilerForModelReposGivenAsSources() {
        String jlink = PARSED.stage("jre").all("RUN").get(0).arguments();

        assertThat(jlink).containsPattern("--add-modules \\S*jdk\\.compiler");
    }

    @Test
    void imageRecordsTheRuntimesClassesForSharingBeforeDroppingRoot() {
        List<String> runs = PARSED.stage("runtime").all("RUN").stream().map(i -> i.arguments()).toList();

        assertThat(runs).contains("/opt/inferless/bin/layout archive-classes");
    }

    @Test
    void jreKeepsTheClassDataSharingArchiveAFullJdkHas() {
        String jlink = PARSED.stage("jre").all("RUN").get(0).arguments();

        assertThat(jlink).contains("--generate-cds-archive");
    }

    @Test
    void everyBuildContextPathTheDockerfileCopiesIsAllowedByDockerignore() throws IOException {
        List<String> allowed = Files.readAllLines(Path.of(".dockerignore")).stream()
                .filter(l -> l.startsWith("!")).map(l -> l.substring(1)).toList();
        for (Stage stage : PARSED.stages()) {
            for (Instruction copy : stage.all("COPY")) {
                if (copy.arguments().contains("--from=")) {
                    continue;
                }
                String[] words = ParsedDockerfile.withoutFlags(copy.arguments()).split(" ");
                for (int i = 0; i < words.length - 1; i++) {
                    String source = words[i];
                    assertThat(allowed).as("COPY %s at line %d", source, copy.line())
                            .anyMatch(a -> source.equals(a) || source.startsWith(a) || (source + "/").equals(a));
                }
            }
        }
        assertThat(allowed).contains("models/").as("scripts/build-image copies model repos from models/");
    }

    @Test
    void generatedModelStageExtendsTheRuntimeAndStaysNonRoot() throws IOException {
        BuildSpec spec = BuildSpec.read(Path.of("src/test/resources/deploy/models/echo-full/config.yaml"));
        String combined = Files.readString(DOCKERFILE) + "\n" + ModelStage.render(spec, "models/echo-full", "test");
        ParsedDockerfile parsed = ParsedDockerfile.parse(combined);

        Stage model = parsed.last();
        assertThat(model.name()).isEqualTo(ModelStage.TARGET);
        assertThat(model.base()).isEqualTo("runtime");
        assertThat(parsed.stage(ModelStage.MAVEN_STAGE).base()).isEqualTo("build");
        assertThat(model.last("USER").orElseThrow().arguments()).isEqualTo(PARSED.stage("runtime").last("USER").orElseThrow().arguments());
    }
}
