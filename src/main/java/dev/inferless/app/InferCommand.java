package dev.inferless.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferless.api.CancellationToken;
import dev.inferless.config.ConfigOptions;
import dev.inferless.config.RuntimeConfig;
import dev.inferless.schema.InputValidator;
import dev.inferless.schema.InvalidInputException;
import dev.inferless.schema.RequestInput;
import dev.inferless.serving.CounterSink;
import dev.inferless.serving.ModelFailureException;
import dev.inferless.serving.ModelHost;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code infer}: initialize the model, run one inference on a JSON input, print the output JSON, finalize. */
@Command(name = "infer", mixinStandardHelpOptions = true, description = "Run one inference and print the outputs as JSON.")
public final class InferCommand implements Callable<Integer> {

    private static final class Json { // built when the command runs, not with the command line (ServePreload)
        static final ObjectMapper MAPPER = new ObjectMapper();
    }

    @Spec
    CommandSpec spec;

    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model repo directory.")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "JSON",
            description = "Inputs as a JSON object, one field per input, e.g. '{\"prompt\": \"def fib(n):\"}'.")
    String input;

    @Override
    public Integer call() throws Exception {
        RuntimeConfig c = config.load(List.of("model.repo=" + model));
        LoggingSetup.apply(c.logging());
        ModelHost host = ModelHost.load(c.model().repo(), c.model().name(), c.modelOverrides(), CounterSink.NONE);
        Map<String, Object> validated = InputValidator.validate(host.repo().inputs(), requestInputs());
        host.initialize();
        try {
            Map<String, Object> outputs;
            try {
                outputs = host.infer(validated, CancellationToken.untimed());
            } catch (Exception e) {
                throw new ModelFailureException("inference failed: " + ModelHost.describe(e), e);
            }
            spec.commandLine().getOut().println(Json.MAPPER.writeValueAsString(outputs));
            spec.commandLine().getOut().flush();
        } finally {
            host.finalizeOnce();
        }
        return 0;
    }

    private List<RequestInput> requestInputs() throws InvalidInputException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(input);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new InvalidInputException("--input: malformed JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new InvalidInputException("--input: expected a JSON object, one field per input");
        }
        return RequestInput.fromFields(root);
    }
}
