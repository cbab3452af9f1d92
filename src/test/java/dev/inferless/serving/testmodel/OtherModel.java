package dev.inferless.serving.testmodel;

import dev.inferless.api.InferlessModel;
import dev.inferless.api.ModelContext;
import java.util.Map;

/** A second implementation, to check that a repo registering two is refused. */
public class OtherModel implements InferlessModel {

    @Override
    public void initialize(ModelContext context) {}

    @Override
    public Map<String, Object> infer(Map<String, Object> inputs) {
        return Map.of();
    }
}
