package dev.inferless.llm.engine;

import dev.inferless.api.BadInputException;
import dev.inferless.api.CancellationToken;
import dev.inferless.api.ModelContext;
import dev.inferless.api.TextGeneration;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.tokenizer.ChatTemplate;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The runtime's LLM engine for one model repo: the checkpoint its config.yaml names, the tokenizer,
 * the engine choice ({@link Engines}: fast native path or portable), the continuous batch every
 * request joins, and the LLM metrics. Built by the runtime ({@link #start}); a repo's class reaches
 * it as {@link TextGeneration} and only maps inputs and outputs.
 */
public final class LlmEngine implements TextGeneration, AutoCloseable {

    private final GenerationInputs inputs;
    private final Tokenizer tokenizer;
    private final ContinuousBatcher batcher;
    private final ModelContext metrics;
    private final List<AutoCloseable> resources;

    LlmEngine(LanguageModel model, Tokenizer tokenizer, TextGenerationSettings settings, ChatTemplate chatTemplate,
              BatchLimits limits, int maxWaiting, KvCacheSettings kv, ModelContext metrics,
              List<AutoCloseable> resources) {
        int contextWindow = PromptTokens.contextWindow(settings.maxContext(), model.config().maxPositions());
        this.inputs = new GenerationInputs(settings, chatTemplate);
        this.tokenizer = tokenizer;
        this.metrics = metrics;
        this.resources = resources;
        this.batcher = new ContinuousBatcher(model, tokenizer, settings.maxContext(), limits, maxWaiting, kv,
                size -> metrics.observe("inferless_batch_size", "Sequences in each decode step", size));
        metrics.gauge("inferless_batch_running", "Sequences in the continuous batch (prefilling or decoding)",
                batcher::running);
        metrics.gauge("inferless_batch_waiting", "Requests waiting to join the continuous batch", batcher::waiting);
        metrics.kvCacheUsage(batcher::kvCacheUsage);
        metrics.counter("inferless_num_preemptions", "Sequences preempted because the KV cache ran out (recomputed later)",
                batcher.scheduler()::preemptions);
        metrics.counter("inferless_prefix_cache_queries", "Prompt tokens looked up in the prefix cache",
                batcher.scheduler().blocks()::queriedTokens);
        metrics.counter("inferless_prefix_cache_hits", "Prompt tokens found in the prefix cache (their KV reused)",
                batcher.scheduler().blocks()::hitTokens);
        metrics.contextLength(contextWindow);
    }

    /**
     * Loads the checkpoint of the context's {@code model:} section (see {@link CheckpointLocation})
     * on its device, and starts the batch, for which at most {@code maxWaiting} requests may wait.
     * Metrics, logs and the context window go to the context.
     */
    public static LlmEngine start(ModelContext context, int maxWaiting) {
        TextGenerationSettings settings = TextGenerationSettings.from(context.config());
        BatchLimits limits = BatchLimits.from(context.config());
        KvCacheSettings kv = KvCacheSettings.from(context.config());
        CheckpointLocation location = CheckpointLocation.resolve(context.repoDir(), settings,
                TextGenerationSettings.defaultCacheRoot());
        if (location.random()) context.logger().log(System.Logger.Level.WARNING, location.randomWarning());
        context.logger().log(System.Logger.Level.INFO, "loading checkpoint " + location.dir() + " on device " + context.device());
        LoadedModel loaded = LoadedModel.open(location.dir(), context.device(), limits.maxBatchSize(),
                kv.poolSize(context.config()));
        return new LlmEngine(loaded.model(), loaded.tokenizer(), settings, ChatTemplate.of(location.dir()), limits,
                maxWaiting, kv, context, List.of(loaded));
    }

    @Override
    public Completion generate(Map<String, Object> requestInputs, CancellationToken cancellation, Consumer<Piece> onText) {
        LogprobsCollector logprobs = new LogprobsCollector(tokenizer);
        GenerationRequest request = inputs.request(requestInputs, logprobs);
        boolean withLogprobs = request.logprobs() != null;
        GenerationResult result = batcher.generate(request, cancellation, onText == null ? piece -> {}
                : piece -> onText.accept(new Piece(piece, withLogprobs ? logprobs.drainJson() : null)));
        metrics.generation(result.stats());
        return new Completion(result.text(), result.promptTokens(), result.outputTokens(), result.finishReason(),
                withLogprobs ? logprobs.drainJson() : null);
    }

    /** Requests waiting for a place in the batch: the model's queue. */
    public int waiting() {
        return batcher.waiting();
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
}
