package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointLocationTest {

    @TempDir Path repo;
    @TempDir Path cache;

    private static TextGenerationSettings settings(Map<String, Object> model) {
        return TextGenerationSettings.from(model);
    }

    @Test
    void aCheckpointInTheReposWeightsDirectoryIsUsedWhenModelWeightsIsEmpty() throws Exception {
        Files.createDirectories(repo.resolve("weights"));
        Files.writeString(repo.resolve("weights/config.json"), "{}");
        CheckpointLocation location = CheckpointLocation.resolve(repo, settings(Map.of("weights", "")), cache);
        assertThat(location).isEqualTo(new CheckpointLocation(repo.resolve("weights"), false));
        assertThat(cache).isEmptyDirectory();
    }

    @Test
    void modelWeightsWinsOverTheMountedDirectoryAndMayBeAbsolute() throws Exception {
        Files.createDirectories(repo.resolve("weights"));
        Files.writeString(repo.resolve("weights/config.json"), "{}");
        assertThat(CheckpointLocation.resolve(repo, settings(Map.of("weights", "/data/ckpt")), cache))
                .isEqualTo(new CheckpointLocation(Path.of("/data/ckpt"), false));
        assertThat(CheckpointLocation.resolve(repo, settings(Map.of("weights", "other")), cache).dir())
                .isEqualTo(repo.resolve("other"));
    }

    @Test
    void noWeightsAndNoPermissionForRandomOnesFailsSayingHowToMountThem() throws Exception {
        Files.createDirectories(repo.resolve("weights")); // an empty mount point, as in the image
        assertThatThrownBy(() -> CheckpointLocation.resolve(repo, settings(Map.of("random_weights", false)), cache))
                .hasMessageContaining("-v /path/to/checkpoint:" + repo.resolve("weights").toAbsolutePath() + ":ro")
                .hasMessageContaining("INFERLESS_MODEL_WEIGHTS")
                .hasMessageContaining("model.random_weights=true");
        assertThat(cache).isEmptyDirectory();
    }

    @Test
    void randomWeightsAreMadeOnlyWhenAllowedAndSaySo() {
        CheckpointLocation location = CheckpointLocation.resolve(repo,
                settings(Map.of("random_weights", true, "checkpoint_format", "fp32")), cache);
        assertThat(location.random()).isTrue();
        assertThat(location.dir()).isEqualTo(cache.resolve("inferless/tiny-fp32"));
        assertThat(location.dir().resolve("config.json")).isRegularFile();
        assertThat(location.randomWarning()).contains("RANDOM weights");
    }
}
