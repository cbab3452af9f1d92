package dev.inferless.repo;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which file of a model repo holds its build: and model: sections: {@code config.yaml}, or
 * {@code inferless-runtime-config.yaml} (Inferless's name) in its place. A repo with both is an
 * error rather than one silently winning.
 */
public final class RepoConfigFile {

    public static final String NAME = "config.yaml";
    public static final String INFERLESS_NAME = "inferless-runtime-config.yaml";

    private RepoConfigFile() {}

    /**
     * The repo's config file; {@code config.yaml} (which may not exist) when neither is there.
     * @throws IllegalArgumentException when both are there
     */
    public static Path of(Path repoDir) {
        Path config = repoDir.resolve(NAME);
        Path inferless = repoDir.resolve(INFERLESS_NAME);
        boolean hasConfig = Files.isRegularFile(config);
        boolean hasInferless = Files.isRegularFile(inferless);
        if (hasConfig && hasInferless) {
            throw new IllegalArgumentException("model repo " + repoDir + " has both " + NAME + " and " + INFERLESS_NAME
                    + "; they are two names for the same file: keep one");
        }
        return hasInferless ? inferless : config;
    }
}
