package dev.inferless.server.testmodel;

import dev.inferless.api.BadInputException;
import dev.inferless.api.CancellationToken;
import dev.inferless.api.InferlessModel;
import dev.inferless.api.ModelContext;
import dev.inferless.api.StreamOutputHandler;
import dev.inferless.serving.testmodel.TestRepos;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A streaming model the tests steer through its inputs: one "token" per code point of the prompt,
 * cycled up to max_tokens (default 8), optionally chunk_ms apart; fail_after=k throws after k
 * chunks (0: before any), hang=true streams nothing and waits for its cancellation. Like an LLM,
 * it checks its cancellation signal before each token.
 */
public class StreamingTestModel implements InferlessModel {

    /** Generations running now, across every in-JVM server. */
    public static final AtomicInteger RUNNING = new AtomicInteger();
    /** Generations that ended because their cancellation signal flipped. */
    public static final AtomicInteger CANCELLED = new AtomicInteger();

    private ModelContext context;

    /** The streaming repo with this class as its model. */
    public static Path repo(Path tmp) throws IOException {
        Path repo = TestRepos.copy(TestRepos.RESOURCES.resolve("streaming"), tmp.resolve("streaming"));
        TestRepos.writeServiceJar(repo.resolve("lib/model.jar"), StreamingTestModel.class);
        return repo;
    }

    /** The text the model produces for a prompt: its code points cycled to {@code tokens}. */
    public static String expected(String prompt, int tokens) {
        int[] cps = prompt.codePoints().toArray();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < tokens; i++) {
            b.appendCodePoint(cps[i % cps.length]);
        }
        return b.toString();
    }

    @Override
    public void initialize(ModelContext context) {
        this.context = context;
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs) throws Exception {
        return infer(inputs, CancellationToken.untimed());
    }

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs, CancellationToken cancelled) throws Exception {
        StringBuilder text = new StringBuilder();
        Map<String, Object> last = generate(inputs, chunk -> text.append(chunk.get("generated_result")), cancelled);
        last.put("generated_result", text.toString());
        return last;
    }

    @Override
    public void infer(Map<String, Object> inputs, StreamOutputHandler out, CancellationToken cancelled) throws Exception {
        Map<String, Object> last = generate(inputs, out::send, cancelled);
        last.put("generated_result", "");
        out.send(last);
        out.finish();
    }

    private Map<String, Object> generate(Map<String, Object> inputs, java.util.function.Consumer<Map<String, Object>> send,
                                         CancellationToken cancelled) throws Exception {
        RUNNING.incrementAndGet();
        try {
            String prompt = (String) inputs.get("prompt");
            if (prompt.isEmpty()) {
                throw new BadInputException("prompt must not be empty");
            }
            int[] cps = prompt.codePoints().toArray();
            int tokens = ((Number) inputs.getOrDefault("max_tokens", 8L)).intValue();
            long chunkMs = ((Number) inputs.getOrDefault("chunk_ms", 0L)).longValue();
            long failAfter = ((Number) inputs.getOrDefault("fail_after", -1L)).longValue();
            String finish = "length";
            int produced = 0;
            if (Boolean.TRUE.equals(inputs.get("hang"))) {
                while (!cancelled.isCancelled()) {
                    Thread.sleep(2);
                }
                tokens = 0;
            }
            for (int i = 0; i < tokens; i++) {
                if (cancelled.isCancelled()) {
                    finish = "cancelled";
                    break;
                }
                if (i == failAfter) {
                    throw new IllegalStateException("model failed after " + i + " chunks");
                }
                if (chunkMs > 0) {
                    Thread.sleep(chunkMs);
                }
                send.accept(Map.of("generated_result", new String(Character.toChars(cps[i % cps.length]))));
                produced++;
            }
            if (cancelled.isCancelled()) {
                CANCELLED.incrementAndGet();
                finish = "cancelled";
            }
            Map<String, Object> last = new LinkedHashMap<>();
            last.put("prompt_tokens", (long) cps.length);
            last.put("output_tokens", (long) produced);
            last.put("finish_reason", finish);
            return last;
        } finally {
            RUNNING.decrementAndGet();
        }
    }
}
