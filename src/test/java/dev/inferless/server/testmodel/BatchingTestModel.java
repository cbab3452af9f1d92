package dev.inferless.server.testmodel;

import dev.inferless.api.InferlessModel;
import dev.inferless.api.ModelContext;
import dev.inferless.serving.testmodel.TestRepos;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A model with a batched form: upper-cases each prompt and reports the size of the batch it came
 * in. One input with fail=true fails its whole batch; wrong_count=true returns one output too few.
 */
public class BatchingTestModel implements InferlessModel {

    /** The size of every inferBatch call, across every in-JVM server. */
    public static final List<Integer> BATCHES = new CopyOnWriteArrayList<>();

    public static Path repo(Path tmp) throws IOException {
        Path repo = TestRepos.copy(TestRepos.RESOURCES.resolve("batching"), tmp.resolve("batching"));
        TestRepos.writeServiceJar(repo.resolve("lib/model.jar"), BatchingTestModel.class);
        return repo;
    }

    @Override
    public void initialize(ModelContext context) {}

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs) throws Exception {
        return inferBatch(List.of(inputs)).get(0);
    }

    @Override
    public List<Map<String, Object>> inferBatch(List<Map<String, Object>> inputs) {
        BATCHES.add(inputs.size());
        List<Map<String, Object>> outputs = new ArrayList<>();
        for (Map<String, Object> in : inputs) {
            if (Boolean.TRUE.equals(in.get("fail"))) {
                throw new IllegalStateException("batch failed on '" + in.get("prompt") + "'");
            }
            outputs.add(Map.of("generated_result", ((String) in.get("prompt")).toUpperCase(), "batch_size",
                    (long) inputs.size()));
        }
        if (inputs.stream().anyMatch(in -> Boolean.TRUE.equals(in.get("wrong_count")))) {
            outputs.remove(0);
        }
        return outputs;
    }
}
