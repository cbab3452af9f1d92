package dev.inferless.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** src/main/image/layout: the file system it lays out, and the environment and command line it serves with. */
class ImageLayoutTest {

    static final Path SCRIPT = Path.of("src/main/image/layout");
    static final String IMAGE_SCRIPT = "/opt/inferless/bin/layout";

    @TempDir Path dir;

    private String run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("sh", SCRIPT.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("INFERLESS_") || k.equals("XDG_CACHE_HOME")
                || k.startsWith("DJL_") || k.startsWith("PYTORCH_") || k.equals("ENGINE_CACHE_DIR") || k.equals("LD_LIBRARY_PATH"));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    private Path piece(String name, String content) throws IOException {
        Path file = dir.resolve("pieces").resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
        return file;
    }

    @Test
    void installPutsEachPieceAtItsImagePathAndItselfAtTheEntrypointsPath() throws Exception {
        Path jre = piece("jre/bin/java", "").getParent().getParent();
        Path root = dir.resolve("root");
        run(Map.of(), "install", root.toString(), jre.toString(), piece("r.jar", "jar").toString(),
                piece("c.yaml", "config").toString());

        assertThat(root.resolve("opt/jre/bin/java")).exists();
        assertThat(root.resolve("opt/inferless/inferless-runtime.jar")).hasContent("jar");
        assertThat(root.resolve("opt/inferless/runtime-config.yaml")).hasContent("config");
        assertThat(root.resolve(IMAGE_SCRIPT.substring(1))).hasSameTextualContentAs(SCRIPT);
        assertThat(root.resolve("model/weights")).isDirectory();
        assertThat(root.resolve("var/cache/inferless")).isDirectory();
        assertThat(root.resolve("opt/libtorch")).doesNotExist();
    }

    @Test
    void cpuLayoutServesModelWithWeightsRequiredAndCachesUnderOneWritableDirectory() throws Exception {
        Path root = dir.resolve("root");
        Files.createDirectories(root.resolve("opt/inferless"));
        String out = run(Map.of("INFERLESS_IMAGE_ROOT", root.toString()), "print", "--model", "/model");

        assertThat(out).contains("INFERLESS_MODEL_RANDOM_WEIGHTS=false\n", "PYTORCH_FLAVOR=cpu\n",
                "XDG_CACHE_HOME=" + root + "/var/cache/inferless\n", "DJL_CACHE_DIR=" + root + "/var/cache/inferless/djl\n",
                "cwd=" + root + "/opt/inferless\n");
        assertThat(out).doesNotContain("INFERLESS_TORCH_LIBRARY_PATH");
        // Half the memory, at most 31 GB (compressed object pointers on every machine, as classes.jsa was recorded).
        assertThat(out).containsPattern(java.util.regex.Pattern.quote(root + "/opt/jre/bin/java ")
                + "(-XX:MaxRAMPercentage=50|-Xmx31g) -XX:\\+ExitOnOutOfMemoryError -Dai\\.djl\\.offline=true -jar "
                + java.util.regex.Pattern.quote(root + "/opt/inferless/inferless-runtime.jar serve --model /model") + "\n$");
        assertThat(out).doesNotContain("SharedArchiveFile");
    }

    @Test
    void serveMapsTheArchivedClassesWhenTheImageHasThem() throws Exception {
        Path root = dir.resolve("root");
        Files.createDirectories(root.resolve("opt/inferless"));
        Files.writeString(root.resolve("opt/inferless/classes.jsa"), "archive");
        String out = run(Map.of("INFERLESS_IMAGE_ROOT", root.toString()), "print");

        assertThat(out).contains(" -XX:SharedArchiveFile=" + root + "/opt/inferless/classes.jsa -jar ");
    }

    @Test
    void gpuLayoutPointsTheRuntimeAtItsLibtorchAndOurBindingAsScriptsGpuDoes() throws Exception {
        Path root = dir.resolve("root");
        Files.createDirectories(root.resolve("opt/inferless"));
        Files.createDirectories(root.resolve("opt/libtorch/lib"));
        Files.writeString(root.resolve("opt/libtorch/build-version"), "2.11.0+cu130\n");
        String out = run(Map.of("INFERLESS_IMAGE_ROOT", root.toString(), "INFERLESS_MODEL_RANDOM_WEIGHTS", "true"),
                "print");

        assertThat(out).contains("INFERLESS_TORCH_LIBRARY_PATH=" + root + "/opt/libtorch/lib\n",
                "INFERLESS_TORCH_VERSION=2.11.0+cu130\n",
                "INFERLESS_DJL_BINDING=" + root + "/opt/inferless/native/libdjl_torch.so\n",
                "INFERLESS_LLM_OPS_LIBRARY=" + root + "/opt/inferless/native/libllm_ops.so\n",
                "INFERLESS_MODEL_RANDOM_WEIGHTS=true\n");
        assertThat(out).doesNotContain("PYTORCH_FLAVOR");
    }
}
