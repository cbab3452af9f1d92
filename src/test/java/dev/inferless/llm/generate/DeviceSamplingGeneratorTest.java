package dev.inferless.llm.generate;

import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.DeviceSampling;
import dev.inferless.llm.model.fast.DeviceSamplingModel;
import dev.inferless.llm.model.fast.SamplingSettings;
import dev.inferless.llm.tokenizer.Tokenizer;
import dev.inferless.llm.tokenizer.WrittenTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A session that samples on its device (the fast path) is driven through prefillAndSample /
 * decodeAndSample with the request's settings, never asked for host logits, and fed back each
 * token it chose; stop handling, EOS and counts work as on the logits path.
 */
class DeviceSamplingGeneratorTest {

    private static Tokenizer tok;

    @BeforeAll
    static void load(@TempDir Path dir) {
        tok = WrittenTokenizer.load(dir, 512, 2);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    /** Returns the script for the prompt token by token, then EOS; records what it was given. */
    static class DeviceSampledModel implements LanguageModel {
        final int[] script;
        final List<SamplingSettings> settings = new ArrayList<>();
        final List<Integer> fedBack = new ArrayList<>();

        DeviceSampledModel(int[] script) {
            this.script = script;
        }

        @Override
        public LlamaConfig config() {
            return new LlamaConfig(8, 16, 1, 2, 2, 4, 512, 256, 1e-5, 1e6, 1, false, 1, 2);
        }

        @Override
        public String device() {
            return "gpu(0)";
        }

        @Override
        public DecodeSession newSession(int maxTokens) {
            return new Session();
        }

        @Override
        public void close() {}

        /** The tokens a session replays after this prompt. */
        int[] scriptFor(int[] prompt) {
            return script;
        }

        final class Session implements DecodeSession, DeviceSampling {
            int[] own;
            int step;

            @Override
            public int prefillAndSample(int[] tokens, SamplingSettings s) {
                settings.add(s);
                own = scriptFor(tokens);
                return next();
            }

            @Override
            public int decodeAndSample(int token) {
                fedBack.add(token);
                return next();
            }

            private int next() {
                return step < own.length ? own[step++] : 2;
            }

            @Override
            public float[] prefill(int[] tokens) {
                throw new AssertionError("host logits asked of a device-sampling session");
            }

            @Override
            public float[] decode(int token) {
                throw new AssertionError("host logits asked of a device-sampling session");
            }

            @Override
            public int position() {
                return step;
            }

            @Override
            public void close() {}
        }
    }

    @Test
    void generatorSamplesOnTheDeviceAndFeedsEachTokenBack() {
        int[] ids = tok.encode("    return a + b\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        DeviceSampledModel model = new DeviceSampledModel(script);
        GenerationRequest request = new GenerationRequest("def add(a, b):", 100, 0.8, 0.95, 40, 1.1, 7L, List.of(), false);

        GenerationResult result = new Generator(model, tok, 0).generate(request, () -> false, piece -> {});

        assertThat(result.text()).isEqualTo(tok.decode(script));
        assertThat(result.finishReason()).isEqualTo(GenerationResult.STOP);
        assertThat(result.outputTokens()).isEqualTo(script.length + 1); // EOS counted
        assertThat(model.settings).containsExactly(new SamplingSettings(0.8, 40, 0.95, 1.1, 7L));
        assertThat(model.fedBack).containsExactlyElementsOf(Arrays.stream(script).boxed().toList());
    }

    @Test
    void theBatcherStepsDeviceSamplingSessionsAloneWithTheSameResult() throws Exception {
        int[] ids = tok.encode("    return a + b\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        GenerationRequest request = new GenerationRequest("def add(a, b):", 100, 0.8, 0.95, 40, 1.1, 7L, List.of(), false);
        GenerationResult alone = new Generator(new DeviceSampledModel(script), tok, 0).generate(request, () -> false, p -> {});
        DeviceSampledModel model = new DeviceSampledModel(script);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tok, 0, new BatchLimits(4, 4, 0), size -> {})) {
            List<String> pieces = new ArrayList<>();
            GenerationResult batched = batcher.generate(request, () -> false, pieces::add);
            assertThat(batched.text()).isEqualTo(alone.text()).isEqualTo(String.join("", pieces));
            assertThat(batched.outputTokens()).isEqualTo(alone.outputTokens());
            assertThat(batched.finishReason()).isEqualTo(GenerationResult.STOP);
        }
        assertThat(model.settings).containsExactly(new SamplingSettings(0.8, 40, 0.95, 1.1, 7L));
        assertThat(model.fedBack).containsExactlyElementsOf(Arrays.stream(script).boxed().toList());
    }

    /**
     * Offers batched device sampling: each session replays the script chosen by its prompt's length;
     * the first prefill waits until two more requests queue, so the three then share steps.
     */
    static final class BatchedDeviceModel extends DeviceSampledModel implements DeviceSamplingModel {
        final Map<Integer, int[]> scriptByPromptLength;
        final List<Integer> callSizes = new ArrayList<>();
        ContinuousBatcher batcher;
        boolean waited;

        BatchedDeviceModel(Map<Integer, int[]> scriptByPromptLength) {
            super(new int[0]);
            this.scriptByPromptLength = scriptByPromptLength;
        }

        /** By prompt length; the first prefill waits until two more requests queue. */
        @Override
        int[] scriptFor(int[] prompt) {
            if (!waited) {
                waited = true;
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (batcher.waiting() < 2 && System.nanoTime() < deadline) Thread.onSpinWait();
            }
            return scriptByPromptLength.get(prompt.length);
        }

        @Override
        public int[] decodeAndSample(List<? extends DecodeSession> sessions, int[] tokens) {
            callSizes.add(sessions.size());
            int[] next = new int[tokens.length];
            for (int i = 0; i < tokens.length; i++) next[i] = ((Session) sessions.get(i)).decodeAndSample(tokens[i]);
            return next;
        }
    }

    @Test
    void theBatcherStepsDeviceSamplingSequencesTogetherInOneCall() throws Exception {
        List<String> prompts = List.of("def add(a, b):", "class Stack:", "import os");
        List<String> texts = List.of("    return a + b\n", "    def __init__(self):\n", "\nprint(os.getcwd())\n");
        Map<Integer, int[]> scripts = new HashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = tok.encode(texts.get(i));
            assertThat(scripts.put(tok.encode(prompts.get(i)).length, Arrays.copyOfRange(ids, 1, ids.length))).isNull();
        }
        BatchedDeviceModel model = new BatchedDeviceModel(scripts);
        List<Integer> stepSizes = new CopyOnWriteArrayList<>();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tok, 0, new BatchLimits(4, 512, 0), stepSizes::add)) {
            model.batcher = batcher;
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<GenerationResult>> results = new ArrayList<>();
                for (String prompt : prompts) {
                    results.add(pool.submit(() -> batcher.generate(
                            new GenerationRequest(prompt, 100, 1.0, 1.0, 0, 1.0, 3L, List.of(), false), () -> false, p -> {})));
                }
                for (int i = 0; i < prompts.size(); i++) {
                    assertThat(results.get(i).get(30, TimeUnit.SECONDS).text()).isEqualTo(texts.get(i));
                }
            } finally {
                pool.shutdownNow();
            }
        }
        assertThat(model.callSizes).contains(3);
        assertThat(stepSizes).contains(3).doesNotContain(0);
    }

    @Test
    void stopSequencesEndDeviceSampledGenerationToo() {
        int[] ids = tok.encode("    x = 1\n\ndef g():\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        GenerationResult result = new Generator(new DeviceSampledModel(script), tok, 0).generate(
                new GenerationRequest("def f():", 100, 0, 1, 0, 1, null, List.of("\ndef"), false), () -> false, p -> {});
        assertThat(result.text()).isEqualTo("    x = 1\n");
        assertThat(result.finishReason()).isEqualTo(GenerationResult.STOP);
    }
}
