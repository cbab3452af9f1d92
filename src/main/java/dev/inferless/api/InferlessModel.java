package dev.inferless.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a user implements, as on Inferless: {@code initialize} once, {@code infer} per request,
 * {@code finalize} once at shutdown. Found by the runtime through {@link java.util.ServiceLoader}
 * ({@code META-INF/services/dev.inferless.api.InferlessModel}).
 *
 * <p>Inputs arrive validated against the repo's input schema: an input of shape {@code [1]} is a
 * plain value (String, Long, Double, Boolean), a longer one a {@code List}. Outputs are strings,
 * numbers, booleans or flat lists of them.
 */
public interface InferlessModel {

    void initialize(ModelContext context) throws Exception;

    Map<String, Object> infer(Map<String, Object> inputs) throws Exception;

    /** Streaming form: one {@code out.send(chunk)} per chunk, then {@code out.finish()}. */
    default void infer(Map<String, Object> inputs, StreamOutputHandler out) throws Exception {
        out.send(infer(inputs));
        out.finish();
    }

    /**
     * The form the runtime calls, with the request's {@link CancellationToken} (client gone, deadline
     * passed, shutdown): a model that loops should check it between steps and return early, and
     * pass it to {@link TextGeneration#generate}. By default it calls {@link #infer(Map)}.
     */
    default Map<String, Object> infer(Map<String, Object> inputs, CancellationToken cancellation) throws Exception {
        return infer(inputs);
    }

    /** The streaming form the runtime calls, with the request's token; by default {@link #infer(Map, StreamOutputHandler)}. */
    default void infer(Map<String, Object> inputs, StreamOutputHandler out, CancellationToken cancellation)
            throws Exception {
        infer(inputs, out);
    }

    /**
     * Dynamic batching, as Inferless offers it: with {@code batch_size} > 1 in the repo's {@code model:}
     * configuration, the inputs of requests arriving within {@code batch_window} milliseconds (up to
     * {@code batch_size} of them) come in one call; return one output map per input, in the same
     * order. This default runs them one by one.
     */
    default List<Map<String, Object>> inferBatch(List<Map<String, Object>> inputs) throws Exception {
        List<Map<String, Object>> outputs = new ArrayList<>(inputs.size());
        for (Map<String, Object> one : inputs) {
            outputs.add(infer(one));
        }
        return outputs;
    }

    /** Named like Inferless's hook; takes a context, so it never overrides {@code Object.finalize()}. */
    default void finalize(ModelContext context) throws Exception {}
}
