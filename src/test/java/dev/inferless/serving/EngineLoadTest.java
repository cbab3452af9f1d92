package dev.inferless.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.repo.ModelLoadException;
import dev.inferless.serving.testmodel.TestRepos;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repo whose model: section names a checkpoint gets its LLM engine loaded while its code compiles,
 * before initialize; initialize then takes that engine, and a failed load fails initialize as before.
 */
class EngineLoadTest {

    @TempDir
    Path tmp;

    /** The gauges the LLM engine registers as its last step of loading. */
    private static final class Gauges implements CounterSink {
        final List<String> names = new CopyOnWriteArrayList<>();

        @Override
        public void add(String metric, String help, double amount) {}

        @Override
        public void gauge(String metric, String help, DoubleSupplier value) {
            names.add(metric);
        }

        boolean awaitEngine() throws InterruptedException {
            for (int i = 0; i < 1200 && !names.contains("inferless_batch_running"); i++) Thread.sleep(100);
            return names.contains("inferless_batch_running");
        }
    }

    @Test
    void theEngineLoadsBeforeInitializeAndInitializeTakesIt() throws Exception {
        Path ckpt = tmp.resolve("ckpt");
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 3, ckpt);
        Path repo = TestRepos.copy(Path.of("models/codellama-34b-python"), tmp.resolve("codellama"));
        Gauges gauges = new Gauges();
        ModelHost host = ModelHost.load(repo, "", Map.of("weights", ckpt.toString(), "device", "cpu"), gauges);
        try {
            assertThat(gauges.awaitEngine()).as("engine loaded without initialize").isTrue();
            host.initialize();
            assertThat(gauges.names).as("one engine, not a second one for initialize")
                    .containsOnlyOnce("inferless_batch_running");
        } finally {
            host.finalizeOnce();
        }
    }

    @Test
    void aFailedLoadFailsInitializeNamingTheCheckpoint() throws Exception {
        Path repo = TestRepos.copy(Path.of("models/codellama-34b-python"), tmp.resolve("codellama"));
        Path missing = tmp.resolve("no-such-checkpoint");
        ModelHost host = ModelHost.load(repo, "", Map.of("weights", missing.toString(), "device", "cpu"), CounterSink.NONE);
        assertThatThrownBy(host::initialize).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("failed to initialize").hasMessageContaining(missing.toString());
        host.finalizeOnce();
    }
}
