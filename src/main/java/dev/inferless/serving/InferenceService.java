package dev.inferless.serving;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.OverCapacityException;
import dev.inferless.api.StreamOutputHandler;
import dev.inferless.repo.ModelRepo;
import dev.inferless.schema.InputValidator;
import dev.inferless.schema.InvalidInputException;
import dev.inferless.schema.RequestInput;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The protocol-free request path: readiness check, input validation, then the model call through
 * the scheduler. Every protocol (KServe v2, simple JSON, later streaming and OpenAI) goes through here.
 */
public final class InferenceService {

    private final ModelHost host;
    private final RequestScheduler scheduler;
    private final AtomicReference<ServingState> state = new AtomicReference<>(ServingState.STARTING);

    private final DynamicBatcher batcher;

    /** @throws ConfigException when the repo's batch_size / batch_window are not valid */
    public InferenceService(ModelHost host, RequestScheduler scheduler) {
        this.host = host;
        this.scheduler = scheduler;
        this.batcher = DynamicBatcher.forRepo(host);
    }

    public ModelRepo repo() {
        return host.repo();
    }

    /** The model's context window in tokens (OpenAI's max_model_len); 0 when the model reported none. */
    public int contextLength() {
        return host.contextLength();
    }

    public ServingState state() {
        return state.get();
    }

    public boolean isReady() {
        return state.get() == ServingState.READY;
    }

    public void moveTo(ServingState next) {
        state.set(next);
    }

    /**
     * Validates the inputs and calls the model for the request of {@code token}, which carries its
     * deadline and which the caller cancels when the client goes away.
     */
    public Map<String, Object> infer(List<RequestInput> inputs, CancellationToken token) throws InvalidInputException,
            NotServingException, OverCapacityException, DeadlineExceededException, ModelFailureException, InterruptedException {
        requireReady();
        Map<String, Object> validated = InputValidator.validate(host.repo().inputs(), inputs);
        // With dynamic batching, requests holding slots meet in the batcher (streaming ones do not).
        return scheduler.run(() -> batcher != null ? batcher.infer(validated) : host.infer(validated, token), token);
    }

    /**
     * As {@link #infer}, through the model's streaming form: chunks go to {@code out} as the model
     * sends them. A chunk that cannot be delivered (client gone) cancels the request.
     */
    public void inferStreaming(List<RequestInput> inputs, StreamOutputHandler out, CancellationToken token)
            throws InvalidInputException, NotServingException, OverCapacityException, DeadlineExceededException,
            ModelFailureException, InterruptedException {
        requireReady();
        Map<String, Object> validated = InputValidator.validate(host.repo().inputs(), inputs);
        scheduler.run(() -> {
            host.inferStreaming(validated, new DisconnectAwareStream(out, token), token);
            return null;
        }, token);
    }

    public void requireReady() throws NotServingException {
        ServingState s = state.get();
        if (s != ServingState.READY) {
            throw new NotServingException(s == ServingState.STARTING ? "model '" + host.repo().name() + "' is not ready yet"
                    : "shutting down");
        }
    }
}
