package dev.inferless.llm.engine;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.KvPoolSize;
import dev.inferless.llm.tokenizer.Tokenizer;
import dev.inferless.startup.StartupTimeline;
import java.nio.file.Path;

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
        LanguageModel model = null;
        try {
            if (checkpoint.tokenizerJson() == null) {
                throw new IllegalArgumentException("checkpoint " + dir + " has no tokenizer.json");
            }
            model = Engines.load(checkpoint, device, sequences, kv);
            LlamaConfig config = checkpoint.config();
            Tokenizer tokenizer;
            try (var phase = timeline.start("tokenizer")) {
                tokenizer = Tokenizer.load(checkpoint.tokenizerJson(), config.bosTokenId(), config.eosTokenId());
            }
            return new LoadedModel(checkpoint, model, tokenizer);
        } catch (RuntimeException e) {
            if (model != null) model.close();
            checkpoint.close();
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
