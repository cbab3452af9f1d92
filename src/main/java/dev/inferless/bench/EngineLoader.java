package dev.inferless.bench;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.model.LanguageModel;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;

/**
 * Calls LlamaModel.load and CheckpointMaker.make by name: both are written on other branches in
 * parallel with this one, and this class keeps the bench compiling until they are merged. After
 * the merge these two methods can become direct calls.
 */
final class EngineLoader {

    private EngineLoader() {}

    static LanguageModel loadLlama(Checkpoint checkpoint, String device) {
        return (LanguageModel) invoke("dev.inferless.llm.model.LlamaModel", "load",
                new Class<?>[] {Checkpoint.class, String.class}, checkpoint, device);
    }

    static void makeCheckpoint(String shape, String format, int bits, int groupSize, boolean actOrder, long seed, Path out) {
        invoke("dev.inferless.llm.checkpoint.CheckpointMaker", "make",
                new Class<?>[] {String.class, String.class, int.class, int.class, boolean.class, long.class, Path.class},
                shape, format, bits, groupSize, actOrder, seed, out);
    }

    private static Object invoke(String className, String method, Class<?>[] types, Object... args) {
        Method m;
        try {
            m = Class.forName(className).getMethod(method, types);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new IllegalStateException(className + "." + method + " is not in this build: " + e.getMessage(), e);
        }
        try {
            return m.invoke(null, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error err) throw err;
            throw new IllegalStateException(className + "." + method + " failed: " + cause.getMessage(), cause);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(className + "." + method + " is not public", e);
        }
    }
}
