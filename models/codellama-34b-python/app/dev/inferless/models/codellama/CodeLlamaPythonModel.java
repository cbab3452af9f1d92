package dev.inferless.models.codellama;

import dev.inferless.api.BadInputException;
import dev.inferless.api.InferlessModel;
import dev.inferless.api.ModelContext;
import dev.inferless.api.StreamOutputHandler;
import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.engine.BatchLimits;
import dev.inferless.llm.engine.CheckpointLocation;
import dev.inferless.llm.engine.ContinuousBatcher;
import dev.inferless.llm.engine.Engines;
import dev.inferless.llm.engine.GenerationRequest;
import dev.inferless.llm.engine.GenerationResult;
import dev.inferless.llm.engine.Generator;
import dev.inferless.llm.engine.LogprobsCollector;
import dev.inferless.llm.engine.TextGenerationModel;
import dev.inferless.llm.engine.TextGenerationSettings;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.tokenizer.ChatTemplate;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CodeLlama-34B-Python on the project's engine: loads the checkpoint, then maps requests to
 * generations. Concurrent requests (up to the runtime's container_concurrency) share decode steps
 * through a {@link ContinuousBatcher} of at most {@code model.max_batch_size} sequences.
 */
public class CodeLlamaPythonModel implements InferlessModel {

    private ModelContext context;
    private Checkpoint checkpoint;
    private LanguageModel model;
    private Tokenizer tokenizer;
    private TextGenerationModel generation;
    private ContinuousBatcher batcher;

    @Override
    public void initialize(ModelContext context) {
        this.context = context;
        TextGenerationSettings settings = TextGenerationSettings.from(context.config());
        CheckpointLocation location = CheckpointLocation.resolve(context.repoDir(), settings,
                TextGenerationSettings.defaultCacheRoot());
        if (location.random()) context.logger().log(System.Logger.Level.WARNING, location.randomWarning());
        Path weights = location.dir();
        context.logger().log(System.Logger.Level.INFO, "loading checkpoint " + weights + " on device " + context.device());
        checkpoint = Checkpoint.open(weights);
        if (checkpoint.tokenizerJson() == null) {
            throw new IllegalArgumentException("checkpoint " + weights + " has no tokenizer.json");
        }
        BatchLimits limits = BatchLimits.from(context.config());
        model = Engines.load(checkpoint, context.device(), limits.maxBatchSize());
        LlamaConfig config = checkpoint.config();
        tokenizer = Tokenizer.load(checkpoint.tokenizerJson(), config.bosTokenId(), config.eosTokenId());
        generation = new TextGenerationModel(new Generator(model, tokenizer, settings.maxContext()), settings,
                ChatTemplate.of(weights));
        context.contextLength(generation.generator().contextWindow());
        batcher = new ContinuousBatcher(model, tokenizer, settings.maxContext(), limits,
                size -> context.observe("inferless_batch_size", "Sequences in each decode step", size));
        context.gauge("inferless_batch_running", "Sequences in the continuous batch (prefilling or decoding)",
                batcher::running);
        context.gauge("inferless_batch_waiting", "Requests waiting to join the continuous batch", batcher::waiting);
        context.kvCacheUsage(batcher::kvCacheUsage);
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs) {
        LogprobsCollector logprobs = new LogprobsCollector(tokenizer);
        GenerationRequest request = request(inputs, logprobs);
        return TextGenerationModel.withLogprobs(recorded(batcher.generate(request, context.cancelled(), piece -> {})),
                request, logprobs);
    }

    /**
     * One chunk per text piece (with its tokens' logprobs when asked), then a last chunk with no
     * text and the counts, finish reason and remaining logprobs.
     */
    @Override
    public void infer(Map<String, Object> inputs, StreamOutputHandler out) {
        LogprobsCollector logprobs = new LogprobsCollector(tokenizer);
        GenerationRequest request = request(inputs, logprobs); // bad inputs fail before anything is sent
        Map<String, Object> last = new LinkedHashMap<>(recorded(batcher.generate(request, context.cancelled(),
                piece -> out.send(TextGenerationModel.withLogprobs(new LinkedHashMap<>(Map.of("generated_result", piece)),
                        request, logprobs)))));
        last.put("generated_result", "");
        out.send(TextGenerationModel.withLogprobs(last, request, logprobs));
        out.finish();
    }

    @Override
    public void finalize(ModelContext context) {
        if (batcher != null) batcher.close();
        if (model != null) model.close();
        if (tokenizer != null) tokenizer.close();
        if (checkpoint != null) checkpoint.close();
    }

    /** The request, or a client error naming the input (max_tokens 0, top_p 7: GenerationRequest's checks). */
    private GenerationRequest request(Map<String, Object> inputs, LogprobsCollector logprobs) {
        try {
            return generation.request(inputs, logprobs);
        } catch (BadInputException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage());
        }
    }

    /** Hands the generation's figures to the runtime's LLM metrics, then maps it to outputs. */
    private Map<String, Object> recorded(GenerationResult result) {
        context.generation(result.stats());
        return TextGenerationModel.outputs(result);
    }
}
