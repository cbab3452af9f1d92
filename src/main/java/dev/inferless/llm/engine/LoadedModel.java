package dev.inferless.llm.engine;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.KvPoolSize;
import dev.inferless.llm.tokenizer.Tokenizer;
import dev.inferless.startup.StartupTimeline;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A checkpoint loaded to run: the checkpoint, the model {@link Engines} chose for it (fast or
 * portable) and its tokenizer. {@link LlmEngine} serves one; {@code bench} measures one.
 */
public record LoadedModel(Checkpoint checkpoint, LanguageModel model, Tokenizer tokenizer) implements AutoCloseable {

    /** Opens the checkpoint in {@code dir} and loads it on {@code device} for up to {@code sequences} at once. */
    public static LoadedModel open(Path dir, String device, int sequences, KvPoolSize kv) {
        StartupTimeline timeline = StartupTimeline.process();
        Checkpoint checkpoint;
        try (var phase = timeline.start("checkpoint mapping")) {
            checkpoint = Checkpoint.open(dir);
        }
        LlamaConfig config;
        try {
            if (checkpoint.tokenizerJson() == null) {
                throw new IllegalArgumentException("checkpoint " + dir + " has no tokenizer.json");
            }
            config = checkpoint.config();
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
        // The tokenizer loads on its own thread while the weights go to the device (off the start's critical path).
        CompletableFuture<Tokenizer> tokenizer = new CompletableFuture<>();
        Thread tokenizerLoad = new Thread(() -> {
            try (var phase = timeline.start("tokenizer")) {
                tokenizer.complete(Tokenizer.load(checkpoint.tokenizerJson(), config.bosTokenId(), config.eosTokenId()));
            } catch (Throwable t) {
                tokenizer.completeExceptionally(t);
            }
        }, "tokenizer-load");
        tokenizerLoad.setDaemon(true);
        tokenizerLoad.start();
        LanguageModel model = null;
        try {
            model = Engines.load(checkpoint, device, sequences, kv);
            return new LoadedModel(checkpoint, model, joined(tokenizer));
        } catch (RuntimeException e) {
            if (model != null) model.close();
            tokenizer.thenAccept(Tokenizer::close);  // once it has loaded, if it does
            checkpoint.close();
            throw e;
        }
    }

    private static Tokenizer joined(CompletableFuture<Tokenizer> tokenizer) {
        try {
            return tokenizer.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }

    /** Frees the model, then the tokenizer, then the checkpoint's mapping. */
    @Override
    public void close() {
        try {
            model.close();
        } finally {
            try {
                tokenizer.close();
            } finally {
                checkpoint.close();
            }
        }
    }
}
