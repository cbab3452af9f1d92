package dev.inferless.llm.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.ops.LinearOp;
import dev.inferless.llm.reference.TinyLlama;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Native memory per step and per session, failures inside a step, context limits and misuse. */
class DecodeSessionLifecycleTest {

    static final LlamaConfig CFG = TinyLlama.config();
    static final Function<String, float[]> WEIGHTS = TinyLlama.weights(CFG, 51);
    static LlamaModel model;

    @BeforeAll
    static void load() {
        model = LlamaModel.fromWeights(CFG, WEIGHTS, "cpu", "auto");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int liveArrays(LlamaModel m) {
        return m.manager().getManagedArrays().size();
    }

    /** 2,000 steps by default; {@code -Dinferless.test.decodeSteps=10000} for the full run. */
    @Test
    void manyDecodeStepsOverRepeatedSessionsLeaveNoArraysBehind() {
        int total = Integer.getInteger("inferless.test.decodeSteps", 2000);
        int baseline = liveArrays(model);
        Random rnd = new Random(52);
        int steps = 0;
        while (steps < total) {
            try (DecodeSession s = model.newSession(CFG.maxPositions())) {
                s.prefill(TinyLlama.randomTokens(rnd, 5, CFG.vocabSize()));
                int withCache = liveArrays(model);
                assertThat(withCache - baseline).as("a session holds exactly its K and V per layer")
                        .isEqualTo(2 * CFG.numLayers());
                while (s.position() < CFG.maxPositions() && steps < total) {
                    s.decode(rnd.nextInt(CFG.vocabSize()));
                    steps++;
                    assertThat(liveArrays(model)).isEqualTo(withCache);
                }
            }
            assertThat(liveArrays(model)).isEqualTo(baseline);
        }
        assertThat(steps).isEqualTo(total);
    }

    @Test
    void anExceptionInsideAStepFreesItsArraysAndLeavesTheSessionUsable() {
        NDManager manager = NDManager.newBaseManager(Device.cpu(), Placement.ENGINE);
        LlamaWeights loaded = WeightLoader.load(CFG, WEIGHTS, manager, DataType.FLOAT32);
        FailingLinear failing = new FailingLinear(loaded.layers().get(1).down());
        List<LayerWeights> layers = new ArrayList<>(loaded.layers());
        LayerWeights last = layers.get(1);
        layers.set(1, new LayerWeights(last.inputNorm(), last.qkv(), last.o(), last.postAttentionNorm(),
                last.gateUp(), failing));
        LlamaWeights faulty = new LlamaWeights(loaded.embeddings(), layers, loaded.finalNorm(), loaded.lmHead());
        try (LlamaModel broken = new LlamaModel(CFG, manager, new Placement(Device.cpu(), DataType.FLOAT32), faulty);
             DecodeSession s = broken.newSession(16)) {
            failing.armed = true;
            assertThatThrownBy(() -> s.prefill(new int[] {3, 4, 5})).hasMessageContaining("injected");
            failing.armed = false;
            s.prefill(new int[] {3, 4, 5});
            int afterPrefill = liveArrays(broken);

            failing.armed = true;
            assertThatThrownBy(() -> s.decode(6)).hasMessageContaining("injected");
            assertThat(liveArrays(broken)).isEqualTo(afterPrefill);
            assertThat(s.position()).isEqualTo(3);

            failing.armed = false;
            float[] afterFailure = s.decode(7);
            try (DecodeSession clean = model.newSession(16)) {
                clean.prefill(new int[] {3, 4, 5});
                assertThat(afterFailure).containsExactly(clean.decode(7));
            }
        }
    }

    @Test
    void contextOverflowIsAClearIllegalArgument() {
        try (DecodeSession s = model.newSession(8)) {
            assertThatThrownBy(() -> s.prefill(new int[9]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("context overflow").hasMessageContaining("maxTokens 8");
            s.prefill(new int[] {1, 2, 3, 4, 5, 6});
            s.decode(7);
            s.decode(8);
            assertThatThrownBy(() -> s.decode(9))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("context overflow").hasMessageContaining("position 8");
            assertThat(s.position()).isEqualTo(8);
        }
        assertThatThrownBy(() -> model.newSession(CFG.maxPositions() + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max_position_embeddings");
        assertThatThrownBy(() -> model.newSession(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void misuseIsRejectedBeforeAnyNativeWork() {
        int baseline = liveArrays(model);
        DecodeSession s = model.newSession(8);
        assertThatThrownBy(() -> s.decode(1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("prefill");
        assertThatThrownBy(() -> s.prefill(new int[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.prefill(new int[] {1, CFG.vocabSize()}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 512");
        s.prefill(new int[] {1});
        assertThatThrownBy(() -> s.decode(-1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id -1");
        assertThatThrownBy(() -> s.prefill(new int[] {1})).isInstanceOf(IllegalStateException.class);
        s.close();
        s.close();
        assertThatThrownBy(() -> s.decode(1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(liveArrays(model)).isEqualTo(baseline);
    }

    @Test
    void closingTheModelEndsItsSessions() {
        LlamaModel own = LlamaModel.fromWeights(CFG, WEIGHTS, "cpu", "auto");
        DecodeSession s = own.newSession(8);
        s.prefill(new int[] {1, 2});
        own.close();
        own.close();
        assertThatThrownBy(() -> s.decode(3)).isInstanceOf(IllegalStateException.class).hasMessageContaining("model is closed");
        assertThatThrownBy(() -> own.newSession(8)).isInstanceOf(IllegalStateException.class);
        s.close();
    }

    @Test
    void badConfigurationAndWeightsNameTheField() {
        assertThatThrownBy(() -> LlamaModel.fromWeights(CFG, WEIGHTS, "tpu", "auto")).hasMessageContaining("device");
        assertThatThrownBy(() -> LlamaModel.fromWeights(CFG, WEIGHTS, "cpu", "int3")).hasMessageContaining("dtype");
        assertThatThrownBy(() -> LlamaModel.fromWeights(CFG, WEIGHTS, "cpu", "bfloat16"))
                .hasMessageContaining(Placement.BF16_PROPERTY);
        assertThatThrownBy(() -> LlamaModel.fromWeights(CFG, WEIGHTS, "gpu", "auto")).hasMessageContaining("no GPU");
        LlamaConfig odd = new LlamaConfig(64, 192, 2, 4, 3, 16, 512, 256, 1e-5, 1e4, 1.0, false, 1, 2);
        assertThatThrownBy(() -> LlamaModel.fromWeights(odd, WEIGHTS, "cpu", "auto"))
                .hasMessageContaining("num_key_value_heads");
        assertThatThrownBy(() -> LlamaModel.fromWeights(CFG,
                n -> n.endsWith("layers.1.mlp.up_proj.weight") ? new float[7] : WEIGHTS.apply(n), "cpu", "auto"))
                .hasMessageContaining("model.layers.1.mlp.up_proj.weight").hasMessageContaining("expected");
        assertThatThrownBy(() -> LlamaModel.fromWeights(CFG,
                n -> n.equals("lm_head.weight") ? null : WEIGHTS.apply(n), "cpu", "auto"))
                .hasMessageContaining("missing weight lm_head.weight");
    }

    /** Runs the real projection (so the step has native intermediates), then fails when armed. */
    private static final class FailingLinear implements LinearOp {
        private final LinearOp delegate;
        volatile boolean armed;

        FailingLinear(LinearOp delegate) {
            this.delegate = delegate;
        }

        @Override
        public int in() {
            return delegate.in();
        }

        @Override
        public int out() {
            return delegate.out();
        }

        @Override
        public NDArray apply(NDArray x) {
            NDArray y = delegate.apply(x);
            if (armed) {
                throw new IllegalStateException("injected failure");
            }
            return y;
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
