package dev.inferless.serving;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.InferlessModel;
import dev.inferless.api.StreamOutputHandler;
import dev.inferless.repo.ModelCodeLoader;
import dev.inferless.repo.ModelLoadException;
import dev.inferless.repo.ModelRepo;
import dev.inferless.schema.Datatype;
import dev.inferless.schema.InputValidator;
import dev.inferless.schema.InvalidInputException;
import dev.inferless.schema.RequestInput;
import dev.inferless.schema.TensorSpec;
import dev.inferless.startup.StartupTimeline;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model: its repo, its instance and its context. Calls into the model run with the
 * repo's class loader as context class loader; outputs are checked; finalize runs at most once.
 */
public final class ModelHost {

    private static final Logger LOG = LoggerFactory.getLogger(ModelHost.class);
    /**
     * A {@code model:} key naming a checkpoint ({@code weights}, empty for the repo's weights/): such a
     * repo's LLM engine starts loading before its code is compiled (see RuntimeModelContext).
     */
    static final String CHECKPOINT_KEY = "weights";

    private final ModelRepo repo;
    private final InferlessModel model;
    private final ClassLoader loader;
    private final RuntimeModelContext context;
    private final AtomicBoolean finalized = new AtomicBoolean();

    private ModelHost(ModelRepo repo, InferlessModel model, ClassLoader loader, RuntimeModelContext context) {
        this.repo = repo;
        this.model = model;
        this.loader = loader;
        this.context = context;
    }

    /**
     * Reads the repo and creates the model instance (compiling app/ when present), served under
     * {@code name} (empty: the directory's name); does not initialize.
     */
    public static ModelHost load(Path repoDir, String name, Map<String, Object> modelOverrides, CounterSink counters)
            throws ModelLoadException {
        return load(repoDir, name, modelOverrides, counters, Integer.MAX_VALUE);
    }

    /**
     * As {@link #load(Path, String, Map, CounterSink)}; an LLM engine the model starts lets at most
     * {@code queueSize} requests wait for its batch ({@code server.queue_size}).
     */
    public static ModelHost load(Path repoDir, String name, Map<String, Object> modelOverrides, CounterSink counters,
                                 int queueSize) throws ModelLoadException {
        long start = System.nanoTime();
        ModelRepo repo;
        String device;
        try (var phase = StartupTimeline.process().start("repo")) {
            repo = ModelRepo.load(repoDir, modelOverrides).named(name);
            device = repo.device();
            repo.streamingOutput(); // checked here, so that a bad value stops the start, not a request
        }
        RuntimeModelContext context = new RuntimeModelContext(repo, device, counters, queueSize);
        if (repo.modelConfig().containsKey(CHECKPOINT_KEY)) {
            context.startEngineLoad();
        }
        ModelCodeLoader.LoadedCode code;
        try (var phase = StartupTimeline.process().start("model code")) {
            code = ModelCodeLoader.load(repo.dir());
        } catch (ModelLoadException | RuntimeException | Error e) {
            context.closeEngine();
            throw e;
        }
        LOG.info("loaded model repo '{}' ({}) in {} ms: {}", repo.name(), repo.dir(), (System.nanoTime() - start) / 1_000_000,
                code.model().getClass().getName());
        return new ModelHost(repo, code.model(), code.loader(), context);
    }

    public ModelRepo repo() {
        return repo;
    }

    /** The model's context window in tokens as it reported it in initialize; 0 when it did not. */
    public int contextLength() {
        return context.reportedContextLength();
    }

    public void initialize() throws ModelLoadException {
        try {
            withLoader(() -> {
                model.initialize(context);
                return null;
            });
        } catch (Exception | LinkageError e) { // a class missing from the runtime is the model's failure to load too
            throw new ModelLoadException("model '" + repo.name() + "' failed to initialize: " + describe(e), e);
        }
    }

    /** Calls the model on the current thread for the request of {@code token}; the inputs are already validated. */
    public Map<String, Object> infer(Map<String, Object> inputs, CancellationToken token) throws Exception {
        Map<String, Object> outputs = withLoader(() -> model.infer(inputs, token));
        checkOutputs(outputs);
        return outputs;
    }

    /** Calls the model's batched form on the current thread: one checked output per input, in order. */
    public List<Map<String, Object>> inferBatch(List<Map<String, Object>> inputs) throws Exception {
        List<Map<String, Object>> outputs = withLoader(() -> model.inferBatch(inputs));
        if (outputs == null || outputs.size() != inputs.size()) {
            throw new IllegalStateException("inferBatch returned " + (outputs == null ? "null" : outputs.size() + " outputs")
                    + " for " + inputs.size() + " inputs (one output map per input, in order)");
        }
        outputs.forEach(ModelHost::checkOutputs);
        return outputs;
    }

    /** Records the size of a batch the runtime gathered (the inferless_batch_size histogram). */
    void observeBatchSize(int size) {
        context.observe("inferless_batch_size", "Requests in each batch the model ran", size);
    }

    /** Calls the model's streaming form on the current thread; every chunk is checked like an output. */
    public void inferStreaming(Map<String, Object> inputs, StreamOutputHandler out, CancellationToken token)
            throws Exception {
        StreamOutputHandler checked = new StreamOutputHandler() {
            @Override
            public void send(Map<String, Object> chunk) {
                checkOutputs(chunk);
                out.send(chunk);
            }

            @Override
            public void finish() {
                out.finish();
            }
        };
        withLoader(() -> {
            model.infer(inputs, checked, token);
            return null;
        });
    }

    /** The warm-up input: the input schema's examples. A required input without an example is an error. */
    public Map<String, Object> warmupInputs() throws ModelLoadException {
        try {
            List<RequestInput> inputs = new java.util.ArrayList<>();
            for (TensorSpec spec : repo.inputs().specs().values()) {
                if (spec.example() != null) {
                    inputs.add(InputValidator.exampleOf(spec));
                } else if (spec.required()) {
                    throw new ModelLoadException("model.warmup is on but required input '" + spec.name()
                            + "' has no example in input_schema.json; add one or set model.warmup=false");
                }
            }
            return InputValidator.validate(repo.inputs(), inputs);
        } catch (InvalidInputException e) {
            throw new ModelLoadException("input_schema.json example: " + e.getMessage(), e);
        }
    }

    /**
     * The depth of the waiting queue of the LLM engine the model started (the model's one queue and
     * limit), or null when it started none.
     */
    public java.util.function.IntSupplier engineQueue() {
        return context.engineQueue();
    }

    /** Calls the model's finalize, then closes the LLM engine it used, the first time only; later calls do nothing. */
    public void finalizeOnce() throws ModelLoadException {
        if (!finalized.compareAndSet(false, true)) {
            return;
        }
        try {
            withLoader(() -> {
                model.finalize(context);
                return null;
            });
        } catch (Exception e) {
            throw new ModelLoadException("model '" + repo.name() + "' failed to finalize: " + describe(e), e);
        } finally {
            context.closeEngine();
        }
    }

    private <T> T withLoader(Callable<T> call) throws Exception {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(loader);
        try {
            return call.call();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    /** Outputs are strings, numbers, booleans or flat lists of them. */
    static void checkOutputs(Map<String, Object> outputs) {
        if (outputs == null) {
            throw new IllegalStateException("the model returned null instead of a map of outputs");
        }
        for (Map.Entry<String, Object> e : outputs.entrySet()) {
            Object v = e.getValue();
            try {
                if (v instanceof List) {
                    for (Object item : (List<?>) v) {
                        Datatype.ofValue(item);
                    }
                } else {
                    Datatype.ofValue(v);
                }
            } catch (IllegalArgumentException ex) {
                throw new IllegalStateException("output '" + e.getKey() + "': " + ex.getMessage()
                        + " (outputs are strings, numbers, booleans or flat lists of them)");
            }
        }
    }

    public static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root && (root.getMessage() == null)) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getName() : root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
