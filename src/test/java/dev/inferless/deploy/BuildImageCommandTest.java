package dev.inferless.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BuildImageCommandTest {

    static final String CONTEXT = "src/test/resources/deploy";

    record Result(int exitCode, String out, String err) {}

    static Result run(String... args) {
        CommandLine cli = BuildImageCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void printShowsTheDockerCommandAndTheGeneratedStage() {
        Result result = run("--print", "--context", CONTEXT, "--model", CONTEXT + "/models/echo-full");

        assertThat(result.exitCode()).isZero();
        String[] lines = result.out().split("\n", 2);
        assertThat(lines[0]).isEqualTo("# docker build -f target/build-image/echo-full.Dockerfile --target model"
                + " --build-arg VARIANT=gpu --build-arg CUDA_VERSION=13.0.1 -t inferless/echo-full:latest .");
        BuildSpec spec = BuildSpec.read(Path.of(CONTEXT, "models/echo-full/config.yaml"));
        assertThat(lines[1]).isEqualTo(
                ModelStage.render(spec, "models/echo-full", "models/echo-full/config.yaml"));
    }

    @Test
    void cpuVariantAndTagReachTheDockerCommand() {
        Result result = run("--print", "--variant", "cpu", "--tag", "me/echo:1",
                "--context", CONTEXT, "--model", CONTEXT + "/models/echo-minimal");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("# docker build -f target/build-image/echo-minimal.Dockerfile"
                + " --target model --build-arg VARIANT=cpu --build-arg CUDA_VERSION=13.0.1 -t me/echo:1 .\n");
    }

    @Test
    void modelOutsideTheContextsModelsIsAClearError() {
        Result outside = run("--print", "--context", CONTEXT + "/models/echo-full", "--model", CONTEXT + "/models/echo-minimal");
        Result notUnderModels = run("--print", "--context", CONTEXT, "--model", CONTEXT + "/bad");

        for (Result result : new Result[] {outside, notUnderModels}) {
            assertThat(result.exitCode()).isEqualTo(2);
            assertThat(result.err()).contains("build-image: --model:", "must be a directory under", "models");
        }
    }

    @Test
    void invalidConfigIsAClearErrorWithoutStackTrace() {
        Result result = run("--print", "--context", CONTEXT, "--model", CONTEXT + "/models/bad-unknown-key");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("build-image: build.apt_packages: unknown key").doesNotContain("Exception");
    }

    @Test
    void unknownVariantIsRejectedByTheCommandLine() {
        Result result = run("--print", "--variant", "tpu", "--model", CONTEXT + "/models/echo-full");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--variant", "tpu");
    }
}
