package dev.inferless.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.deploy.BuildSpec;
import dev.inferless.repo.ModelRepoTemplate;
import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void initScaffoldsExactlyTheEchoExample() throws Exception {
        Path dir = tmp.resolve("echo");
        assertThat(run("init", dir.toString())).isEqualTo(0);
        assertThat(tree(dir)).isEqualTo(tree(Path.of("models/echo")));
        assertThat(run("init", dir.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("already exists");
    }

    @Test
    void initNamesThePackageAndClassAfterTheRepo() {
        Map<String, String> files = ModelRepoTemplate.files("my-model", BuildSpec.CUDA_MINOR);
        assertThat(files).containsKey("app/mymodel/MyModelModel.java");
        assertThat(files.get("app/META-INF/services/dev.inferless.api.InferlessModel")).isEqualTo("mymodel.MyModelModel\n");
        assertThat(ModelRepoTemplate.packageName("2fast")).isEqualTo("model2fast");
        assertThat(ModelRepoTemplate.packageName("class")).isEqualTo("classmodel");
    }

    @Test
    void inferPrintsTheOutputsAndFinalizes() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        int code = run("infer", "--model", repo.toString(), "--input", "{\"prompt\": \"def f():\", \"numbers\": [1, 2]}",
                "--set", "model.marker_dir=" + tmp);
        assertThat(code).as(err.toString()).isEqualTo(0);
        assertThat(out.toString().trim())
                .isEqualTo("{\"generated_result\":\"def f():\",\"input_types\":[\"prompt:String\",\"numbers:ArrayList\"],\"sum\":3.0}");
        assertThat(Files.readAllLines(tmp.resolve("finalize.log"))).containsExactly("finalize");
    }

    @Test
    void inferFailuresAreOneClearLineAndANonZeroExit() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        assertThat(run("infer", "--model", repo.toString(), "--input", "{\"prompt\": \"a\", \"fail\": true}")).isEqualTo(1);
        assertThat(err.toString()).startsWith("error: inference failed").contains("model exploded on purpose");
        assertThat(run("infer", "--model", repo.toString(), "--input", "{\"prompt\": 3}")).isEqualTo(1);
        assertThat(err.toString()).contains("error: input 'prompt': expected STRING");
        assertThat(run("infer", "--model", repo.toString(), "--input", "{\"prompt\": ")).isEqualTo(1);
        assertThat(err.toString()).contains("error: --input: malformed JSON");
        assertThat(run("infer", "--model", tmp.resolve("missing").toString(), "--input", "{}")).isEqualTo(1);
        assertThat(err.toString()).contains("does not exist");
    }

    @Test
    void serveWithAFailingInitializeExitsNonZeroWithTheCause() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        int code = run("serve", "--model", repo.toString(), "--port", "0", "--set", "server.host=127.0.0.1",
                "--set", "model.fail_initialize=true");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("error: model 'controllable' failed to initialize")
                .contains("weights not found at /nowhere");
        assertThat(err.toString()).doesNotContain("\tat ");
    }

    @Test
    void serveOnABusyPortExitsNonZeroNamingTheKey() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int code = run("serve", "--model", repo.toString(), "--port", Integer.toString(busy.getLocalPort()),
                    "--set", "server.host=127.0.0.1");
            assertThat(code).isEqualTo(1);
        }
        assertThat(err.toString()).contains("error: server.port: cannot listen on 127.0.0.1");
    }

    @Test
    void serveWithAnUnknownKeyExitsNonZeroNamingIt() {
        assertThat(run("serve", "--set", "server.prot=1")).isEqualTo(1);
        assertThat(err.toString()).contains("unknown configuration key 'server.prot'");
    }

    private static Map<String, String> tree(Path root) throws Exception {
        try (Stream<Path> files = Files.walk(root)) {
            List<Path> list = files.filter(Files::isRegularFile).collect(Collectors.toList());
            Map<String, String> tree = new TreeMap<>();
            for (Path p : list) {
                tree.put(root.relativize(p).toString(), Files.readString(p));
            }
            return tree;
        }
    }
}
