package dev.inferless.models.codellama;

import dev.inferless.api.InferlessModel;
import dev.inferless.api.ModelContext;
import dev.inferless.api.StreamOutputHandler;
import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.CheckpointMaker;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.generate.CheckpointCache;
import dev.inferless.llm.generate.Generator;
import dev.inferless.llm.generate.ModelSettings;
import dev.inferless.llm.generate.TextGenerationModel;
import dev.inferless.llm.model.LlamaModel;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** CodeLlama-34B-Python on the project's engine: loads the checkpoint, then maps requests to generations. */
public class CodeLlamaPythonModel implements InferlessModel {

    private static final long TINY_SEED = 0;

    private ModelContext context;
    private Checkpoint checkpoint;
    private LlamaModel model;
    private Tokenizer tokenizer;
    private TextGenerationModel generation;

    @Override
    public void initialize(ModelContext context) {
        this.context = context;
        ModelSettings settings = ModelSettings.from(context.config());
        Path weights = settings.weights().isEmpty()
                ? CheckpointCache.ensure(settings.tinyCheckpointDir(ModelSettings.defaultCacheRoot()), dir -> makeTiny(settings, dir))
                : context.repoDir().resolve(settings.weights());
        context.logger().log(System.Logger.Level.INFO, "loading checkpoint " + weights + " on device " + context.device());
        checkpoint = Checkpoint.open(weights);
        if (checkpoint.tokenizerJson() == null) {
            throw new IllegalArgumentException("checkpoint " + weights + " has no tokenizer.json");
        }
        model = LlamaModel.load(checkpoint, context.device());
        LlamaConfig config = checkpoint.config();
        tokenizer = Tokenizer.load(checkpoint.tokenizerJson(), config.bosTokenId(), config.eosTokenId());
        generation = new TextGenerationModel(new Generator(model, tokenizer, settings.maxContext()), settings);
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs) {
        return counted(generation.infer(inputs, context.cancelled()));
    }

    /** One chunk per text piece, then a last chunk with no text and the counts and finish reason. */
    @Override
    public void infer(Map<String, Object> inputs, StreamOutputHandler out) {
        Map<String, Object> last = new LinkedHashMap<>(counted(generation.inferStreaming(inputs, context.cancelled(), out::send)));
        last.put("generated_result", "");
        out.send(last);
        out.finish();
    }

    @Override
    public void finalize(ModelContext context) {
        if (model != null) model.close();
        if (tokenizer != null) tokenizer.close();
        if (checkpoint != null) checkpoint.close();
    }

    private Map<String, Object> counted(Map<String, Object> outputs) {
        context.count("tokens_generated", "Tokens generated", ((Number) outputs.get("output_tokens")).doubleValue());
        return outputs;
    }

    private static void makeTiny(ModelSettings settings, Path dir) {
        String format = settings.checkpointFormat();
        try {
            CheckpointMaker.make("tiny", format, 4, 32, format.equals("gptq"), TINY_SEED, dir);
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the tiny " + format + " checkpoint in " + dir + ": " + e.getMessage(), e);
        }
    }
}
