package dev.inferless.llm.engine;

import ai.djl.engine.Engine;
import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.LlamaModel;
import dev.inferless.llm.model.fast.FastLlamaModel;
import dev.inferless.llm.model.fast.KvPoolSize;
import dev.inferless.startup.StartupTimeline;
import java.util.Optional;

/**
 * Chooses how a checkpoint runs: the fast native path (libllm_ops: 4-bit kernels, CUDA graph,
 * device sampling) where it applies, otherwise the portable DJL path ({@link LlamaModel}).
 */
public final class Engines {

    private static final System.Logger LOG = System.getLogger(Engines.class.getName());

    private Engines() {}

    /**
     * @param device    cpu | gpu | auto
     * @param sequences the most sequences decoding at once
     * @param kv        the fast path's KV cache pool
     */
    public static LanguageModel load(Checkpoint ckpt, String device, int sequences, KvPoolSize kv) {
        long start = System.nanoTime();
        StartupTimeline timeline = StartupTimeline.process();
        try (var phase = timeline.start("djl engine")) {
            Engine.getEngine("PyTorch"); // libtorch loads here: timed apart from the weights
        }
        Optional<String> whyNot;
        try (var phase = timeline.start("gpu check")) {
            whyNot = FastLlamaModel.whyNotFast(ckpt, device); // loads libllm_ops; counting GPUs starts the CUDA driver
        }
        LanguageModel model;
        try (var phase = timeline.start("weights")) {
            model = whyNot.isEmpty() ? FastLlamaModel.load(ckpt, sequences, true, kv) : LlamaModel.load(ckpt, device);
        }
        LOG.log(System.Logger.Level.INFO, "engine: {0} on {1}, loaded in {2} ms{3}",
                whyNot.isEmpty() ? "fast native path" : "portable DJL path", model.device(),
                (System.nanoTime() - start) / 1_000_000, whyNot.map(r -> " (fast path not used: " + r + ")").orElse(""));
        return model;
    }
}
