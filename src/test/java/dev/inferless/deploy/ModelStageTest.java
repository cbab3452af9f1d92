package dev.inferless.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.deploy.ParsedDockerfile.Instruction;
import dev.inferless.deploy.ParsedDockerfile.Stage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelStageTest {

    static final Path FIXTURES = Path.of("src/test/resources/deploy");

    static ParsedDockerfile render(String model) {
        BuildSpec spec = BuildSpec.read(FIXTURES.resolve("models").resolve(model).resolve("config.yaml"));
        return ParsedDockerfile.parse(ModelStage.render(spec, "models/" + model, "models/" + model + "/config.yaml"));
    }

    @Test
    void fullBuildSectionInstallsPackagesRunsCommandsAndCopiesMavenJars() {
        ParsedDockerfile dockerfile = render("echo-full");

        assertThat(dockerfile.stages()).extracting(Stage::name).containsExactly("model-maven-packages", "model");
        Stage maven = dockerfile.stage("model-maven-packages");
        assertThat(maven.base()).isEqualTo("build");
        String fetch = maven.all("RUN").get(0).arguments();
        assertThat(fetch).contains(
                ":copy -Dartifact=org.apache.commons:commons-math3:3.6.1 -DoutputDirectory=/model-lib",
                ":copy -Dartifact=com.google.guava:guava:33.4.8-jre -DoutputDirectory=/model-lib");

        Stage model = dockerfile.stage("model");
        assertThat(model.base()).isEqualTo("runtime");
        assertThat(model.instructions()).extracting(Instruction::keyword)
                .containsExactly("USER", "RUN", "RUN", "RUN", "USER", "COPY", "COPY");
        assertThat(model.instructions().get(0).arguments()).isEqualTo("root");
        List<Instruction> runs = model.all("RUN");
        assertThat(runs.get(0).arguments())
                .isEqualTo("apt-get update && apt-get install -y --no-install-recommends libgomp1"
                        + " curl=7.81.0-1ubuntu1.20 && rm -rf /var/lib/apt/lists/*");
        assertThat(runs.get(1).arguments()).isEqualTo("echo \"built\" > /opt/marker");
        assertThat(runs.get(2).arguments()).isEqualTo("mkdir -p /opt/extra && chmod 755 /opt/extra");
        assertThat(model.all("USER").get(1).arguments()).isEqualTo(ModelStage.APP_USER);
        assertThat(model.all("COPY")).extracting(Instruction::arguments).containsExactly(
                "--chown=10001:10001 models/echo-full/ /model/",
                "--from=model-maven-packages --chown=10001:10001 /model-lib/ /model/lib/");
    }

    @Test
    void minimalRepoOnlyCopiesItsFilesAndStaysNonRoot() {
        ParsedDockerfile dockerfile = render("echo-minimal");

        assertThat(dockerfile.stages()).hasSize(1);
        Stage model = dockerfile.last();
        assertThat(model.name()).isEqualTo(ModelStage.TARGET);
        assertThat(model.instructions()).extracting(Instruction::keyword).containsExactly("COPY");
        assertThat(model.all("USER")).isEmpty();
    }
}
