package dev.inferless.runtime;

import java.nio.file.Path;

/** The runtime's own keys of the {@code model:} section: which repo to serve and whether to warm it up. */
public record ModelSettings(Path repo, boolean warmup) {

    static ModelSettings from(ConfigValues v) {
        String repo = v.text("model.repo");
        if (repo.isEmpty()) {
            throw new ConfigException("model.repo: empty; give the model repo directory");
        }
        return new ModelSettings(Path.of(repo), v.bool("model.warmup"));
    }
}
