package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import dev.inferless.api.ModelContext;
import dev.inferless.api.TextGeneration;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The runtime's LLM engine for one model repo: the checkpoint its config.yaml names, the tokenizer,
 * the engine choice ({@link Engines}: fast native path or portable), the continuous batch every
 * request joins, and the LLM metrics. Built by the runtime ({@link #start}); a repo's class reaches
 * it as {@link TextGeneration} and only maps inputs and outputs.
 */
public final class LlmEngine implements TextGeneration, AutoCloseable {

    private static final long TINY_SEED = 0;

    private final GenerationInputs inputs;
    private final ContinuousBatcher batcher;
    private final ModelContext metrics;
    private final List<AutoCloseable> resources;

    LlmEngine(LanguageModel model, Tokenizer tokenizer, TextGenerationSettings settings, BatchLimits limits,
              ModelContext metrics, List<AutoCloseable> resources) {
        this.inputs = new GenerationInputs(settings);
        this.metrics = metrics;
        this.resources = resources;
        this.batcher = new ContinuousBatcher(model, tokenizer, settings.maxContext(), limits,
                size -> metrics.observe("inferless_batch_size", "Sequences in each decode step", size));
        metrics.gauge("inferless_batch_running", "Sequences in the continuous batch (prefilling or decoding)",
                batcher::running);
        metrics.gauge("inferless_batch_waiting", "Requests waiting to join the continuous batch", batcher::waiting);
        metrics.kvCacheUsage(batcher::kvCacheUsage);
    }

    /**
     * Loads the checkpoint of the context's {@code model:} section ({@code weights} relative to the
     * repo; empty: a tiny random one of {@code checkpoint_format}, made once and cached) on its
     * device, and starts the batch. Metrics and logs go through the context.
     */
    public static LlmEngine start(ModelContext context) {
        TextGenerationSettings settings = TextGenerationSettings.from(context.config());
        BatchLimits limits = BatchLimits.from(context.config());
        Path weights = settings.weights().isEmpty()
                ? CheckpointCache.ensure(settings.tinyCheckpointDir(TextGenerationSettings.defaultCacheRoot()),
                        dir -> makeTiny(settings, dir))
                : context.repoDir().resolve(settings.weights());
        context.logger().log(System.Logger.Level.INFO, "loading checkpoint " + weights + " on device " + context.device());
        LoadedModel loaded = LoadedModel.open(weights, context.device(), limits.maxBatchSize());
        return new LlmEngine(loaded.model(), loaded.tokenizer(), settings, limits, context, List.of(loaded));
    }

    @Override
    public Completion generate(Map<String, Object> requestInputs, BooleanSupplier cancelled, Consumer<String> onText) {
        GenerationRequest request;
        try {
            request = inputs.request(requestInputs);
        } catch (IllegalArgumentException e) { // GenerationRequest's range checks (max_tokens 0, top_p 7)
            throw e instanceof BadInputException ? e : new BadInputException(e.getMessage());
        }
        GenerationResult result = batcher.generate(request, cancelled, onText);
        metrics.generation(result.stats());
        return new Completion(result.text(), result.promptTokens(), result.outputTokens(), result.finishReason());
    }

    /** Stops the batch, then frees the model, tokenizer and checkpoint. */
    @Override
    public void close() {
        batcher.close();
        closeAll(resources);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                System.getLogger(LlmEngine.class.getName()).log(System.Logger.Level.WARNING, "closing " + r + ": " + e);
            }
        }
    }

    private static void makeTiny(TextGenerationSettings settings, Path dir) {
        String format = settings.checkpointFormat();
        try {
            CheckpointMaker.make("tiny", format, 4, 32, format.equals("gptq"), TINY_SEED, dir);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the tiny " + format + " checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }
}
