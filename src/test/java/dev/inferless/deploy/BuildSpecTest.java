package dev.inferless.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BuildSpecTest {

    static final Path FIXTURES = Path.of("src/test/resources/deploy");

    @Test
    void readsEveryBuildKeyInOrder() {
        BuildSpec spec = BuildSpec.read(FIXTURES.resolve("models/echo-full/config.yaml"));

        assertThat(spec.cudaVersion()).isEqualTo("13.0.1");
        assertThat(spec.systemPackages()).containsExactly("libgomp1", "curl=7.81.0-1ubuntu1.20");
        assertThat(spec.runCommands()).containsExactly(
                "echo \"built\" > /opt/marker", "mkdir -p /opt/extra && chmod 755 /opt/extra");
        assertThat(spec.mavenPackages()).containsExactly(
                "org.apache.commons:commons-math3:3.6.1", "com.google.guava:guava:33.4.8-jre");
    }

    @Test
    void repoWithoutBuildSectionGetsDefaults() {
        BuildSpec spec = BuildSpec.read(FIXTURES.resolve("models/echo-minimal/config.yaml"));

        assertThat(spec).isEqualTo(new BuildSpec(BuildSpec.DEFAULT_CUDA_VERSION, List.of(), List.of(), List.of()));
    }

    @Test
    void emptyCudaVersionMeansTheDefault() {
        java.util.Map<String, Object> build = new java.util.HashMap<>();
        build.put("cuda_version", "");
        assertThat(BuildSpec.fromBuildSection(build).cudaVersion()).isEqualTo(BuildSpec.DEFAULT_CUDA_VERSION);
        build.put("cuda_version", null);
        assertThat(BuildSpec.fromBuildSection(build).cudaVersion()).isEqualTo(BuildSpec.DEFAULT_CUDA_VERSION);
    }

    @Test
    void everyShippedModelRepoBuildsWithTheImagesCuda() throws Exception {
        try (var repos = java.nio.file.Files.list(Path.of("models"))) {
            for (Path repo : repos.filter(r -> java.nio.file.Files.exists(r.resolve("config.yaml"))).toList()) {
                assertThat(BuildSpec.read(repo.resolve("config.yaml")).cudaVersion()).as(repo.toString())
                        .startsWith(BuildSpec.CUDA_MINOR);
            }
        }
    }

    @Test
    void shortCudaVersionMeansTheDefaultPatchRelease() {
        assertThat(BuildSpec.fromBuildSection(java.util.Map.of("cuda_version", BuildSpec.CUDA_MINOR)).cudaVersion())
                .isEqualTo(BuildSpec.DEFAULT_CUDA_VERSION);
        assertThat(BuildSpec.fromBuildSection(java.util.Map.of("cuda_version", BuildSpec.CUDA_MINOR + ".0")).cudaVersion())
                .isEqualTo(BuildSpec.CUDA_MINOR + ".0");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown-key.yaml        | build.apt_packages: unknown key; known keys: cuda_version, maven_packages, run, system_packages",
        "python-packages.yaml    | build.python_packages: unknown key",
        "python-packages.yaml    | build.maven_packages instead",
        "bad-system-package.yaml | build.system_packages[1]: 'curl; rm -rf /' is not a Debian package name",
        "bad-maven-package.yaml  | build.maven_packages[1]: 'commons-math3' is not group:artifact:version",
        "cuda-11.yaml            | build.cuda_version: '11.8' is not supported",
        "multiline-run.yaml      | build.run[0]: must be one non-empty shell command on one line",
        "run-not-a-list.yaml     | build.run: must be a list of strings",
        "number-in-list.yaml     | build.system_packages[1]: must be a string, got Integer",
        "build-not-a-map.yaml    | build: must be a mapping",
    })
    void badBuildSectionIsAnErrorNamingTheField(String file, String message) {
        assertThatThrownBy(() -> BuildSpec.read(FIXTURES.resolve("bad").resolve(file)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void missingConfigIsAnErrorNamingTheFile() {
        Path missing = FIXTURES.resolve("models/no-such-model/config.yaml");

        assertThatThrownBy(() -> BuildSpec.read(missing))
                .hasMessageContaining(missing.toString()).hasMessageContaining("no such file");
    }
}
