package dev.inferless.config;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The runtime's own keys of the {@code model:} section: which repo to serve, the name it is served
 * under (empty: the repo directory's name; in a container the repo sits at /model, so deployments set
 * it), and whether to warm it up.
 */
public record ModelSettings(Path repo, String name, boolean warmup) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    static ModelSettings from(ConfigValues v) {
        String repo = v.text("model.repo");
        if (repo.isEmpty()) {
            throw new ConfigException("model.repo: empty; give the model repo directory");
        }
        String name = v.text("model.name");
        if (!name.isEmpty() && !NAME.matcher(name).matches()) {
            throw new ConfigException("model.name: '" + name + "' is not a valid model name (letters, digits, '.', '_', '-')");
        }
        return new ModelSettings(Path.of(repo), name, v.bool("model.warmup"));
    }
}
