package dev.inferless.llm.engine;

import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a text-generation repo's checkpoint comes from, in this order: {@code model.weights} (also
 * INFERLESS_MODEL_WEIGHTS), else the repo's own {@code weights/} directory when it holds a checkpoint
 * (in the image: a checkpoint mounted at /model/weights), else, only when {@code model.random_weights}
 * allows it, a tiny random checkpoint made once under the cache root. Without weights and without
 * that permission the start fails, saying how to mount them: a container must not serve noise
 * without being asked to.
 */
public record CheckpointLocation(Path dir, boolean random) {

    /** The repo directory that a mounted checkpoint lands in ({@code /model/weights} in the image). */
    public static final String REPO_WEIGHTS_DIR = "weights";

    public static CheckpointLocation resolve(Path repoDir, TextGenerationSettings settings, Path cacheRoot) {
        if (!settings.weights().isEmpty()) {
            return new CheckpointLocation(repoDir.resolve(settings.weights()), false);
        }
        Path mounted = repoDir.resolve(REPO_WEIGHTS_DIR);
        if (Files.isRegularFile(mounted.resolve("config.json"))) {
            return new CheckpointLocation(mounted, false);
        }
        if (!settings.randomWeights()) {
            throw new IllegalStateException("no checkpoint: model.weights is empty and " + mounted.toAbsolutePath()
                    + " holds no config.json. Mount a Hugging Face checkpoint directory there"
                    + " (docker run -v /path/to/checkpoint:" + mounted.toAbsolutePath() + ":ro ...), or point"
                    + " model.weights / INFERLESS_MODEL_WEIGHTS at one; to serve a tiny random checkpoint instead,"
                    + " set model.random_weights=true (INFERLESS_MODEL_RANDOM_WEIGHTS=true)");
        }
        Path tiny = CheckpointCache.ensure(settings.tinyCheckpointDir(cacheRoot), dir -> makeTiny(settings, dir));
        return new CheckpointLocation(tiny, true);
    }

    /** The WARN an operator must see whenever the served weights are random. */
    public String randomWarning() {
        return "serving RANDOM weights (a tiny " + dir.getFileName() + " checkpoint made by the runtime, not a trained"
                + " model): model.weights is empty and no checkpoint is mounted; outputs are noise";
    }

    private static void makeTiny(TextGenerationSettings settings, Path dir) {
        String format = settings.checkpointFormat();
        try {
            CheckpointMaker.make("tiny", format, 4, 32, format.equals("gptq"), 0, dir);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the tiny " + format + " checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }
}
