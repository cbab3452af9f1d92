package dev.inferless.llm.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A checkpoint made once and reused: made into a temporary sibling directory and moved into place
 * only when complete, so an interrupted first start never leaves a half-written checkpoint behind.
 */
public final class CheckpointCache {

    private CheckpointCache() {}

    /** Returns {@code dir}, first calling {@code maker} on an empty directory when {@code dir} holds no config.json. */
    public static Path ensure(Path dir, Consumer<Path> maker) {
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            return dir;
        }
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(dir.toAbsolutePath().getParent());
            deleteRecursively(tmp);
            Files.createDirectories(tmp);
            maker.accept(tmp);
            if (!Files.isRegularFile(tmp.resolve("config.json"))) {
                throw new IllegalStateException("the checkpoint maker wrote no config.json into " + tmp);
            }
            deleteRecursively(dir); // a directory without config.json is a leftover, not a checkpoint
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir);
            }
        } catch (FileAlreadyExistsException e) {
            // another process made it first; use theirs
            deleteQuietly(tmp);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot make the checkpoint in " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
        return dir;
    }

    private static void deleteQuietly(Path dir) {
        try {
            deleteRecursively(dir);
        } catch (IOException ignored) {
            // best effort: a stale temporary directory is replaced at the next start
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
