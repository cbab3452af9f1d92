package dev.inferless.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.api.CancellationToken;
import dev.inferless.repo.ModelCodeLoader;
import dev.inferless.repo.ModelLoadException;
import dev.inferless.repo.ModelRepo;
import dev.inferless.repo.SourceCompiler;
import dev.inferless.schema.Datatype;
import dev.inferless.schema.TensorSpec;
import dev.inferless.serving.testmodel.ControllableModel;
import dev.inferless.serving.testmodel.OtherModel;
import dev.inferless.serving.testmodel.TestRepos;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepoLoadingTest {

    @TempDir
    Path tmp;

    @Test
    void appSourcesAreCompiledAndTheEchoExampleAnswers() throws Exception {
        Path repo = TestRepos.copy(Path.of("models/echo"), tmp.resolve("echo"));
        ModelHost host = ModelHost.load(repo, "", Map.of(), CounterSink.NONE);
        host.initialize();
        assertThat(host.repo().name()).isEqualTo("echo");
        assertThat(host.infer(Map.of("prompt", "abc"), CancellationToken.untimed())).containsEntry("generated_result", "abc");
        assertThat(host.warmupInputs()).containsEntry("prompt", "Hello from Inferless");
        host.finalizeOnce();
    }

    @Test
    void aJarUnderLibIsFoundThroughItsServiceFile() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        ModelHost host = ModelHost.load(repo, "", Map.of("marker_dir", tmp.toString()), CounterSink.NONE);
        host.initialize();
        assertThat(host.infer(Map.of("prompt", "x"), CancellationToken.untimed())).containsEntry("generated_result", "x");
        host.finalizeOnce();
        host.finalizeOnce();
        assertThat(Files.readAllLines(tmp.resolve("finalize.log"))).containsExactly("finalize");
    }

    @Test
    void modelOverridesAreMergedOverConfigYaml() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        ModelRepo loaded = ModelRepo.load(repo, Map.of("weights", "/data/ckpt", "limits", Map.of("max_tokens", 8)));
        assertThat(loaded.modelConfig()).containsEntry("weights", "/data/ckpt").containsEntry("device", "cpu")
                .containsEntry("limits", Map.of("max_tokens", 8));
    }

    @Test
    void inferlessRuntimeConfigYamlIsReadInPlaceOfConfigYaml() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        Files.move(repo.resolve("config.yaml"), repo.resolve("inferless-runtime-config.yaml"));
        Files.writeString(repo.resolve("inferless-runtime-config.yaml"),
                Files.readString(repo.resolve("inferless-runtime-config.yaml")).replace("/nowhere", "/from-inferless-name"));
        assertThat(ModelRepo.load(repo, Map.of()).modelConfig()).containsEntry("weights", "/from-inferless-name");

        Files.writeString(repo.resolve("config.yaml"), "model:\n  weights: /other\n");
        assertThatThrownBy(() -> ModelRepo.load(repo, Map.of()))
                .hasMessageContaining("both config.yaml and inferless-runtime-config.yaml");
    }

    @Test
    void streamingOutputIsDeclaredPerModelAndChecked() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        assertThat(ModelRepo.load(repo, Map.of()).streamingOutput()).isEmpty();
        assertThat(ModelRepo.load(repo, Map.of("streaming_output", true)).streamingOutput()).contains(true);
        assertThat(ModelRepo.load(repo, Map.of("streaming_output", "false")).streamingOutput()).contains(false);
        assertThatThrownBy(() -> ModelHost.load(repo, "", Map.of("streaming_output", "yes"), CounterSink.NONE))
                .hasMessageContaining("model.streaming_output: expected true or false, got 'yes'");
    }

    @Test
    void noRegisteredImplementationIsAnErrorNamingTheCandidates() throws Exception {
        Path repo = TestRepos.copy(Path.of("models/echo"), tmp.resolve("echo"));
        Files.delete(repo.resolve("app/" + TestRepos.SERVICE_FILE));
        assertThatThrownBy(() -> ModelHost.load(repo, "", Map.of(), CounterSink.NONE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no implementation of dev.inferless.api.InferlessModel is registered")
                .hasMessageContaining("echo.EchoModel");
    }

    @Test
    void noCodeAtAllIsAnError() throws Exception {
        Path repo = TestRepos.controllable(tmp);
        Files.delete(repo.resolve("lib/model.jar"));
        Files.delete(repo.resolve("lib"));
        assertThatThrownBy(() -> ModelHost.load(repo, "", Map.of(), CounterSink.NONE))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("has no code");
    }

    @Test
    void emptyServiceJarIsAnError() throws Exception {
        Path repo = TestRepos.controllable(tmp);
        assertThatThrownBy(() -> ModelHost.load(repo, "", Map.of(), CounterSink.NONE))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("found none");
    }

    @Test
    void twoImplementationsAreAnErrorListingBoth() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class, OtherModel.class);
        assertThatThrownBy(() -> ModelHost.load(repo, "", Map.of(), CounterSink.NONE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("found 2 implementations")
                .hasMessageContaining(ControllableModel.class.getName())
                .hasMessageContaining(OtherModel.class.getName());
    }

    @Test
    void implementationsOnTheRuntimeClasspathAreNotTheRepos() throws Exception {
        // The test classpath itself registers nothing, but a second repo's jar on the parent must not leak in:
        // two repos loaded one after the other each see exactly their own service file.
        Path a = TestRepos.controllable(tmp.resolve("a"), ControllableModel.class);
        Path b = TestRepos.controllable(tmp.resolve("b"), OtherModel.class);
        assertThat(ModelCodeLoader.load(a).model()).isInstanceOf(ControllableModel.class);
        assertThat(ModelCodeLoader.load(b).model()).isInstanceOf(OtherModel.class);
    }

    @Test
    void compileErrorsAreReportedWithFileAndLine() throws Exception {
        Path repo = TestRepos.copy(Path.of("models/echo"), tmp.resolve("echo"));
        Files.writeString(repo.resolve("app/echo/EchoModel.java"), "package echo;\nclass EchoModel { int x = ; }\n");
        assertThatThrownBy(() -> ModelHost.load(repo, "", Map.of(), CounterSink.NONE))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("compiling")
                .hasMessageContaining("echo/EchoModel.java:2");
    }

    @Test
    void withoutACompilerTheErrorSaysSo() throws Exception {
        Path repo = TestRepos.copy(Path.of("models/echo"), tmp.resolve("echo"));
        assertThatThrownBy(() -> SourceCompiler.compile(null, repo.resolve("app"), List.of(), Files.createTempDirectory(tmp, "out")))
                .isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("no compiler").hasMessageContaining("JRE").hasMessageContaining("lib/");
    }

    @Test
    void missingInputSchemaIsAnError() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        Files.delete(repo.resolve("input_schema.json"));
        assertThatThrownBy(() -> ModelHost.load(repo, "", Map.of(), CounterSink.NONE))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("no input_schema.json");
    }

    @Test
    void badSchemaFieldsAreNamed() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        Files.writeString(repo.resolve("input_schema.json"), "{\"prompt\": {\"datatype\": \"STR\", \"shape\": [1]}}");
        assertThatThrownBy(() -> ModelRepo.load(repo, Map.of()))
                .hasMessageContaining("prompt.datatype").hasMessageContaining("unknown datatype 'STR'");
        Files.writeString(repo.resolve("input_schema.json"), "{\"prompt\": {\"datatype\": \"INT8\", \"shape\": [1], \"example\": [300]}}");
        assertThatThrownBy(() -> ModelRepo.load(repo, Map.of()))
                .hasMessageContaining("prompt.example").hasMessageContaining("out of range for INT8");
    }

    @Test
    void kserveListSchemasAreReadToo() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        Files.writeString(repo.resolve("input_schema.json"),
                "{\"inputs\": [{\"name\": \"prompt\", \"datatype\": \"BYTES\", \"shape\": [-1], \"required\": false}]}");
        TensorSpec spec = ModelRepo.load(repo, Map.of()).inputs().spec("prompt").orElseThrow();
        assertThat(spec.datatype()).isEqualTo(Datatype.STRING);
        assertThat(spec.shape()).containsExactly(-1L);
        assertThat(spec.required()).isFalse();
    }

    @Test
    void unknownConfigYamlKeysAndBadDevicesAreNamed() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        Files.writeString(repo.resolve("config.yaml"), "build:\n  python_packages: [torch]\nmodel: {}\n");
        assertThatThrownBy(() -> ModelRepo.load(repo, Map.of())).hasMessageContaining("build.python_packages");
        Files.writeString(repo.resolve("config.yaml"), "model:\n  device: tpu\n");
        assertThatThrownBy(() -> ModelRepo.load(repo, Map.of()).device()).hasMessageContaining("model.device");
    }

    @Test
    void failingInitializeNamesTheModelAndTheCause() throws Exception {
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        ModelHost host = ModelHost.load(repo, "", Map.of("fail_initialize", true), CounterSink.NONE);
        assertThatThrownBy(host::initialize).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("failed to initialize").hasMessageContaining("weights not found at /nowhere");
    }

    @Test
    void aLinkageErrorInInitializeIsALoadFailureNotAnUncaughtError() throws Exception {
        // Uncaught, it killed the main thread while the HTTP server kept answering 503 forever.
        Path repo = TestRepos.controllable(tmp, ControllableModel.class);
        ModelHost host = ModelHost.load(repo, "", Map.of("initialize_linkage_error", true), CounterSink.NONE);
        assertThatThrownBy(host::initialize).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("failed to initialize").hasMessageContaining("java/beans/IntrospectionException");
    }

    @Test
    void outputsMustBeFlatValues() {
        assertThatThrownBy(() -> ModelHost.checkOutputs(Map.of("x", Map.of("a", 1))))
                .hasMessageContaining("output 'x'");
        assertThatThrownBy(() -> ModelHost.checkOutputs(Map.of("x", List.of(List.of(1)))))
                .hasMessageContaining("output 'x'");
        ModelHost.checkOutputs(Map.of("a", "s", "b", 1, "c", 2.5, "d", true, "e", List.of(1L, 2L)));
    }
}
