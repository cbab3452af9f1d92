package dev.inferless.serving.testmodel;

import dev.inferless.api.CancellationToken;
import dev.inferless.api.InferlessModel;
import dev.inferless.api.ModelContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * An echo model the tests steer through its inputs and config: it can sleep, hold until a file
 * exists (writing FILE.started first), sleep ignoring its cancellation (stubborn_ms), fail,
 * return a bad output, fail to initialize, and it appends a line to marker_dir/finalize.log per
 * finalize call. Like a model whose native memory finalize frees, a call after finalize fails.
 */
public class ControllableModel implements InferlessModel {

    /** Requests that noticed their cancellation signal (same class for every in-JVM server). */
    public static final AtomicInteger CANCELLATIONS_SEEN = new AtomicInteger();

    /** Calls inside infer now, and the most there ever were at once (same class for every in-JVM server). */
    public static final AtomicInteger INSIDE = new AtomicInteger();
    public static final AtomicInteger MAX_INSIDE = new AtomicInteger();
    /** Calls that reached infer after finalize. */
    public static final AtomicInteger CALLS_AFTER_FINALIZE = new AtomicInteger();
    /** Finalize calls that came while a call was still inside infer. */
    public static final AtomicInteger FINALIZED_UNDER_A_CALL = new AtomicInteger();

    private ModelContext context;
    private volatile boolean finalized;

    @Override
    public void initialize(ModelContext context) throws Exception {
        this.context = context;
        Map<String, Object> config = context.config();
        if (Boolean.TRUE.equals(config.get("fail_initialize"))) {
            throw new IllegalStateException("weights not found at " + config.get("weights"));
        }
        if (Boolean.TRUE.equals(config.get("initialize_linkage_error"))) {
            // What a library missing from the Java runtime looks like (e.g. java.beans in a jlink'ed one).
            throw new NoClassDefFoundError("java/beans/IntrospectionException");
        }
        Object hold = config.get("initialize_hold");
        if (hold != null) {
            holdUntil(Path.of(hold.toString()), () -> false);
        }
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs) throws Exception {
        return infer(inputs, CancellationToken.untimed());
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs, CancellationToken cancelled) throws Exception {
        MAX_INSIDE.accumulateAndGet(INSIDE.incrementAndGet(), Math::max);
        try {
            return answer(inputs, cancelled);
        } finally {
            INSIDE.decrementAndGet();
        }
    }

    private Map<String, Object> answer(Map<String, Object> inputs, CancellationToken cancelled) throws Exception {
        if (finalized) {
            CALLS_AFTER_FINALIZE.incrementAndGet();
            throw new IllegalStateException("Native resource has been released already");
        }
        if (inputs.get("stubborn_ms") != null) {
            Thread.sleep((Long) inputs.get("stubborn_ms"));
        }
        if (Boolean.TRUE.equals(inputs.get("fail"))) {
            throw new IllegalStateException("model exploded on purpose");
        }
        if (inputs.get("sleep_ms") != null) {
            long end = System.nanoTime() + (Long) inputs.get("sleep_ms") * 1_000_000L;
            while (System.nanoTime() < end) {
                if (cancelled.isCancelled()) {
                    CANCELLATIONS_SEEN.incrementAndGet();
                    return Map.of("generated_result", "cancelled", "input_types", List.of());
                }
                Thread.sleep(5);
            }
        }
        if (inputs.get("hold") != null) {
            holdUntil(Path.of((String) inputs.get("hold")), cancelled::isCancelled);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        if (Boolean.TRUE.equals(inputs.get("bad_output"))) {
            out.put("generated_result", Map.of("nested", "map"));
            return out;
        }
        out.put("generated_result", inputs.get("prompt"));
        List<String> types = new ArrayList<>();
        inputs.forEach((name, value) -> types.add(name + ":" + value.getClass().getSimpleName()));
        out.put("input_types", types);
        if (inputs.get("numbers") instanceof List) {
            out.put("sum", ((List<?>) inputs.get("numbers")).stream().mapToDouble(v -> (Double) v).sum());
        }
        context.count("test_tokens", "Tokens the test model produced", 3);
        return out;
    }

    @Override
    public void finalize(ModelContext context) throws IOException {
        finalized = true;
        if (INSIDE.get() > 0) {
            FINALIZED_UNDER_A_CALL.incrementAndGet();
        }
        Object dir = context.config().get("marker_dir");
        if (dir != null) {
            Files.writeString(Path.of(dir.toString(), "finalize.log"), "finalize\n",
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    private static void holdUntil(Path release, BooleanSupplier cancelled) throws Exception {
        Files.writeString(Path.of(release + ".started"), "");
        while (!Files.exists(release)) {
            if (cancelled.getAsBoolean()) {
                CANCELLATIONS_SEEN.incrementAndGet();
                return;
            }
            Thread.sleep(5);
        }
    }
}
