package dev.inferless.runtime;

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

    public InferenceService(ModelHost host, RequestScheduler scheduler) {
        this.host = host;
        this.scheduler = scheduler;
    }

    public ModelRepo repo() {
        return host.repo();
    }

    public RequestScheduler scheduler() {
        return scheduler;
    }

    public ServingState state() {
        return state.get();
    }

    public boolean isReady() {
        return state.get() == ServingState.READY;
    }

    void moveTo(ServingState next) {
        state.set(next);
    }

    public Map<String, Object> infer(List<RequestInput> inputs) throws InvalidInputException, NotServingException,
            OverCapacityException, DeadlineExceededException, ModelFailureException, InterruptedException {
        requireReady();
        Map<String, Object> validated = InputValidator.validate(host.repo().inputs(), inputs);
        return scheduler.run(() -> host.infer(validated));
    }

    public void requireReady() throws NotServingException {
        ServingState s = state.get();
        if (s != ServingState.READY) {
            throw new NotServingException(s == ServingState.STARTING ? "model '" + host.repo().name() + "' is not ready yet"
                    : "shutting down");
        }
    }
}
