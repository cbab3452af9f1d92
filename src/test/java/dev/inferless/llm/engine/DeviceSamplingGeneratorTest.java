package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.api.CancellationToken;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.DeviceSampling;
import dev.inferless.llm.model.fast.DeviceSamplingModel;
import dev.inferless.llm.model.fast.SampledTokens;
import dev.inferless.llm.sampling.SamplingParams;
import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.llm.tokenizer.Tokenizer;
import dev.inferless.llm.tokenizer.WrittenTokenizer;
import java.nio.file.Path;
import java.util.ArrayDeque;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session that samples on its device (the fast path) is driven through prefillAndSample /
 * batched steps with the request's settings, never asked for host logits, and fed back each
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

    /** What the device sampler was given for a prompt. */
    record Given(SamplingParams params, long seed) {}

    /**
     * The log-probabilities the fake device computes with the n-th token of a session's script (n from
     * 0): values that name the position, so a test sees which token's reached the sink.
     */
    static TokenLogprobs deviceLogprobs(int token, int n, int top) {
        int[] ids = new int[top];
        double[] values = new double[top];
        for (int i = 0; i < top; i++) {
            ids[i] = token + i;
            values[i] = -n - 0.01 * i;
        }
        return new TokenLogprobs(token, "", -n - 0.5, ids, values);
    }

    /** Returns the script for the prompt token by token, then EOS; records what it was given. */
    static class DeviceSampledModel implements LanguageModel {
        final int[] script;
        final List<Given> settings = new CopyOnWriteArrayList<>(); // read while the batch runs
        final List<Integer> fedBack = new ArrayList<>();
        /** The logits a session gives when asked for them on the host; null: asking fails the test. */
        float[] hostLogits;
        final List<Integer> fedForHostLogits = new CopyOnWriteArrayList<>();

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
            return new Session(maxTokens);
        }

        @Override
        public void close() {}

        /** The tokens a session replays after this prompt. */
        int[] scriptFor(int[] prompt) {
            return script;
        }

        final class Session implements DecodeSession, DeviceSampling {
            final int maxTokens;
            int[] own;
            int step;
            int positions; // prompt and fed tokens in its cache, bounded by maxTokens as a real cache is
            int last;      // the token it sampled last: what TOKEN_ON_DEVICE stands for
            int logprobs;  // top alternatives asked, -1: none

            Session(int maxTokens) {
                this.maxTokens = maxTokens;
            }

            @Override
            public SampledTokens prefillAndSample(int[] tokens, SamplingParams params, long seed, int logprobs) {
                settings.add(new Given(params, seed));
                own = scriptFor(tokens);
                positions = tokens.length;
                this.logprobs = logprobs;
                int token = next();
                return new SampledTokens(new int[] {token}, new TokenLogprobs[] {logprobsOfLast()});
            }

            /** What the device computed with the token it sampled last; null unless asked. */
            TokenLogprobs logprobsOfLast() {
                return logprobs < 0 ? null : deviceLogprobs(last, step - 1, logprobs);
            }

            /** One decode step: appends {@code token} and returns the next token of the script. */
            int step(int token) {
                if (positions >= maxTokens) throw new IllegalStateException("maxTokens " + maxTokens + " reached");
                if (token == DeviceSamplingModel.TOKEN_ON_DEVICE) token = last;
                positions++;
                fedBack.add(token);
                return next();
            }

            private int next() {
                last = step < own.length ? own[step++] : 2;
                return last;
            }

            @Override
            public float[] prefill(int[] tokens) {
                if (hostLogits == null) throw new AssertionError("host logits asked of a device-sampling session");
                positions = tokens.length;
                return hostLogits.clone();
            }

            @Override
            public float[] decode(int token) {
                if (hostLogits == null) throw new AssertionError("host logits asked of a device-sampling session");
                if (positions++ >= maxTokens) throw new IllegalStateException("maxTokens " + maxTokens + " reached");
                fedForHostLogits.add(token);
                return hostLogits.clone();
            }

            @Override
            public int position() {
                return hostLogits != null && own == null ? positions : step;
            }

            @Override
            public void close() {}
        }
    }

    @Test
    void generatorSamplesOnTheDeviceAndFeedsEachTokenBack() {
        int[] ids = tok.encode("    return a + b\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        DeviceSampledModel model = alone(script);
        GenerationRequest request = new GenerationRequest("def add(a, b):", 100, 0.8, 0.95, 40, 1.1, 7L, List.of(), false);

        GenerationResult result = new Generator(model, tok, 0).generate(request, CancellationToken.untimed(), piece -> {});

        assertThat(result.text()).isEqualTo(tok.decode(script));
        assertThat(result.finishReason()).isEqualTo(GenerationResult.STOP);
        assertThat(result.outputTokens()).isEqualTo(script.length + 1); // EOS counted
        assertThat(model.settings).containsExactly(new Given(new SamplingParams(0.8, 40, 0.95, 1.1), 7L));
        // steps run one ahead: at most the one launched while EOS was on its way is wasted
        assertThat(model.fedBack.subList(0, script.length)).containsExactlyElementsOf(Arrays.stream(script).boxed().toList());
        assertThat(model.fedBack.size()).isBetween(script.length, script.length + 1);
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
            return fixed != null ? fixed : scriptByPromptLength.get(prompt.length);
        }

        int[] fixed;

        /** Runs the step at once (as the device would, in order) and keeps its tokens until collected. */
        @Override
        public void submitDecode(List<? extends DecodeSession> sessions, int[] tokens) {
            if (inFlight.size() == 2) throw new IllegalStateException("two steps in flight already");
            callSizes.add(sessions.size());
            for (int t : tokens) fedRaw.add(t);
            int[] next = new int[tokens.length];
            TokenLogprobs[] logprobs = new TokenLogprobs[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                Session session = (Session) sessions.get(i);
                next[i] = session.step(tokens[i]);
                logprobs[i] = session.logprobsOfLast();
            }
            inFlight.add(new SampledTokens(next, logprobs));
            maxInFlight = Math.max(maxInFlight, inFlight.size());
        }

        @Override
        public SampledTokens collectDecode() {
            if (inFlight.isEmpty()) throw new IllegalStateException("no step to collect");
            if (--collectsBeforeFailure == 0) {
                inFlight.poll();
                throw new IllegalStateException("device fault");
            }
            return inFlight.poll();
        }

        final ArrayDeque<SampledTokens> inFlight = new ArrayDeque<>();
        final List<Integer> fedRaw = new ArrayList<>(); // as the batcher passed them, TOKEN_ON_DEVICE included
        int maxInFlight;
        int collectsBeforeFailure = -1;                 // > 0: that collect fails
    }

    /**
     * Until the first request's prompt runs (and waits there for two more to queue): the others then
     * join at the next step boundary, never beside it before its prefill.
     */
    static void awaitFirstPrefill(DeviceSampledModel model) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (model.settings.isEmpty() && System.nanoTime() < deadline) Thread.onSpinWait();
    }

    /** A batched device model for one request at a time: no waiting for others to queue. */
    static BatchedDeviceModel alone(int[] script) {
        BatchedDeviceModel model = new BatchedDeviceModel(Map.of());
        model.waited = true;
        model.fixed = script;
        return model;
    }

    /** Each prompt as a seeded request; the first runs its prompt before the others are sent (they join it then). */
    private static List<Future<GenerationResult>> submitSeeded(ExecutorService pool, ContinuousBatcher batcher,
                                                               DeviceSampledModel model, List<String> prompts) {
        List<Future<GenerationResult>> results = new ArrayList<>();
        for (String prompt : prompts) {
            results.add(pool.submit(() -> batcher.generate(
                    new GenerationRequest(prompt, 100, 1.0, 1.0, 0, 1.0, 3L, List.of(), false), CancellationToken.untimed(), p -> {})));
            if (results.size() == 1) awaitFirstPrefill(model);
        }
        return results;
    }

    /** Each prompt's continuation (its text's tokens without BOS), keyed by the prompt's length in tokens. */
    private static Map<Integer, int[]> scriptsByPromptLength(List<String> prompts, List<String> texts) {
        Map<Integer, int[]> scripts = new HashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = tok.encode(texts.get(i));
            assertThat(scripts.put(tok.encode(prompts.get(i)).length, Arrays.copyOfRange(ids, 1, ids.length))).isNull();
        }
        return scripts;
    }

    @Test
    void theBatcherStepsDeviceSamplingSequencesTogetherInOneCall() throws Exception {
        List<String> prompts = List.of("def add(a, b):", "class Stack:", "import os");
        List<String> texts = List.of("    return a + b\n", "    def __init__(self):\n", "\nprint(os.getcwd())\n");
        BatchedDeviceModel model = new BatchedDeviceModel(scriptsByPromptLength(prompts, texts));
        List<Integer> stepSizes = new CopyOnWriteArrayList<>();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tok, 0, new BatchLimits(4, 512, 0), Integer.MAX_VALUE, stepSizes::add)) {
            model.batcher = batcher;
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<GenerationResult>> results = submitSeeded(pool, batcher, model, prompts);
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
    void aRequestWithOutputPenaltiesTakesItsLogitsToTheHostBesideDeviceSampledOnes() throws Exception {
        List<String> prompts = List.of("def add(a, b):", "class Stack:");
        List<String> texts = List.of("    return a + b\n", "    def __init__(self):\n");
        BatchedDeviceModel model = new BatchedDeviceModel(scriptsByPromptLength(prompts, texts));
        model.hostLogits = GeneratorTest.threeLeaders();
        GenerationRequest penalized = new GenerationRequest("import os", 12, new SamplingParams(0, 0, 1, 1, 0.1, 0.3),
                null, List.of(), true, null, false);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tok, 0, new BatchLimits(4, 512, 0), Integer.MAX_VALUE, size -> {})) {
            model.batcher = batcher;
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<GenerationResult>> results = submitSeeded(pool, batcher, model, prompts);
                Future<GenerationResult> host = pool.submit(() -> batcher.generate(penalized, CancellationToken.untimed(), p -> {}));
                for (int i = 0; i < prompts.size(); i++) {
                    assertThat(results.get(i).get(30, TimeUnit.SECONDS).text()).isEqualTo(texts.get(i));
                }
                int[] expected = GeneratorTest.penalizedGreedy(GeneratorTest.threeLeaders(), 0.1, 0.3, 12);
                assertThat(host.get(30, TimeUnit.SECONDS).text()).isEqualTo(tok.decode(expected));
                assertThat(model.fedForHostLogits).containsExactly(Arrays.stream(expected, 0, 11).boxed().toArray(Integer[]::new));
            } finally {
                pool.shutdownNow();
            }
        }
        // only the two device-sampled requests reached the device's sampler
        assertThat(model.settings).hasSize(2);
        assertThat(model.callSizes).contains(2).allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(2));
    }

    @Test
    void aRequestAskingForLogprobsStaysOnTheDeviceAndGetsTheDevicesInOrder() {
        int[] ids = tok.encode("    return a + b\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        BatchedDeviceModel model = alone(script);
        List<TokenLogprobs> got = new ArrayList<>();
        GenerationRequest request = new GenerationRequest("def add(a, b):", 100, 0.8, 1.0, 0, 1.0, 7L, List.of(), false,
                new LogprobsRequest(3, got::add));

        GenerationResult result = new Generator(model, tok, 0).generate(request, CancellationToken.untimed(), p -> {});

        assertThat(result.text()).isEqualTo(tok.decode(script));
        assertDeviceLogprobs(got, script, 3, result.text());
        // no host logits were asked (the fake throws), and the steps still ran one ahead
        assertThat(model.fedRaw.subList(1, model.fedRaw.size())).containsOnly(DeviceSamplingModel.TOKEN_ON_DEVICE);
        assertThat(model.maxInFlight).isEqualTo(2);
    }

    @Test
    void inABatchEachRequestGetsItsOwnDeviceLogprobsAndOnlyThoseAskingGetAny() throws Exception {
        List<String> prompts = List.of("def add(a, b):", "class Stack:", "import os");
        List<String> texts = List.of("    return a + b\n", "    def __init__(self):\n", "\nprint(os.getcwd())\n");
        List<Integer> tops = java.util.Arrays.asList(5, null, 0);
        Map<Integer, int[]> scripts = new HashMap<>();
        List<int[]> scriptOf = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            int[] ids = tok.encode(texts.get(i));
            scriptOf.add(Arrays.copyOfRange(ids, 1, ids.length));
            assertThat(scripts.put(tok.encode(prompts.get(i)).length, scriptOf.get(i))).isNull();
        }
        BatchedDeviceModel model = new BatchedDeviceModel(scripts);
        List<List<TokenLogprobs>> got = List.of(new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>(),
                new CopyOnWriteArrayList<>());
        List<GenerationResult> results = new ArrayList<>();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tok, 0, new BatchLimits(4, 512, 0), Integer.MAX_VALUE, size -> {})) {
            model.batcher = batcher;
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<GenerationResult>> futures = new ArrayList<>();
                for (int i = 0; i < prompts.size(); i++) {
                    LogprobsRequest asks = tops.get(i) == null ? null : new LogprobsRequest(tops.get(i), got.get(i)::add);
                    GenerationRequest request = new GenerationRequest(prompts.get(i), 100, 1.0, 1.0, 0, 1.0, 3L, List.of(),
                            false, asks);
                    futures.add(pool.submit(() -> batcher.generate(request, CancellationToken.untimed(), p -> {})));
                    if (futures.size() == 1) awaitFirstPrefill(model);
                }
                for (Future<GenerationResult> f : futures) results.add(f.get(30, TimeUnit.SECONDS));
            } finally {
                pool.shutdownNow();
            }
        }
        assertThat(model.callSizes).contains(3);
        assertDeviceLogprobs(got.get(0), scriptOf.get(0), 5, results.get(0).text());
        assertThat(got.get(1)).isEmpty();
        assertDeviceLogprobs(got.get(2), scriptOf.get(2), 0, results.get(2).text());
        for (int i = 0; i < prompts.size(); i++) assertThat(results.get(i).text()).isEqualTo(texts.get(i));
    }

    /** One entry per scripted token (none for EOS), in order, the device's values, the texts adding up to the output. */
    private static void assertDeviceLogprobs(List<TokenLogprobs> got, int[] script, int top, String text) {
        assertThat(got).hasSize(script.length);
        StringBuilder joined = new StringBuilder();
        for (int n = 0; n < script.length; n++) {
            TokenLogprobs expected = deviceLogprobs(script[n], n, top);
            TokenLogprobs t = got.get(n);
            assertThat(t.token()).isEqualTo(script[n]);
            assertThat(t.logprob()).isEqualTo(expected.logprob());
            assertThat(t.topTokens()).containsExactly(expected.topTokens());
            assertThat(t.topLogprobs()).containsExactly(expected.topLogprobs());
            joined.append(t.text());
        }
        assertThat(joined.toString()).isEqualTo(text);
    }

    @Test
    void stopSequencesEndDeviceSampledGenerationToo() {
        int[] ids = tok.encode("    x = 1\n\ndef g():\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        GenerationResult result = new Generator(alone(script), tok, 0).generate(
                new GenerationRequest("def f():", 100, 0, 1, 0, 1, null, List.of("\ndef"), false), CancellationToken.untimed(), p -> {});
        assertThat(result.text()).isEqualTo("    x = 1\n");
        assertThat(result.finishReason()).isEqualTo(GenerationResult.STOP);
    }

    @Test
    void batchedStepsRunOneAheadFedWithTheTokensOnTheDevice() {
        int[] ids = tok.encode("    return a + b\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        BatchedDeviceModel model = alone(script);
        GenerationRequest request = new GenerationRequest("def add(a, b):", 100, 1.0, 1.0, 0, 1.0, 5L, List.of(), false);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tok, 0, new BatchLimits(4, 512, 0), Integer.MAX_VALUE, size -> {})) {
            GenerationResult result = batcher.generate(request, CancellationToken.untimed(), p -> {});
            assertThat(result.text()).isEqualTo(tok.decode(script));
            assertThat(result.outputTokens()).isEqualTo(script.length + 1); // EOS counted
        }
        // Each step was fed the previous token: from the host after the prompt, then from the device.
        List<Integer> fed = model.fedBack.subList(0, script.length);
        assertThat(fed).containsExactlyElementsOf(Arrays.stream(script).boxed().toList());
        assertThat(model.fedRaw.get(0)).isEqualTo(script[0]);
        assertThat(model.fedRaw.subList(1, model.fedRaw.size())).containsOnly(DeviceSamplingModel.TOKEN_ON_DEVICE);
        assertThat(model.maxInFlight).isEqualTo(2);
        // At most the one step launched while EOS was on its way is wasted.
        assertThat(model.fedBack.size()).isBetween(script.length, script.length + 1);
        assertThat(model.inFlight).isEmpty();
    }

    @Test
    void noStepIsLaunchedPastTheBudget() {
        int[] ids = tok.encode("    return a + b + c + d + e\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        int maxTokens = 4;
        assertThat(script.length).isGreaterThan(maxTokens + 2);
        BatchedDeviceModel model = alone(script);
        GenerationRequest request = new GenerationRequest("def add(a, b):", maxTokens, 1.0, 1.0, 0, 1.0, 5L, List.of(), false);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tok, 0, new BatchLimits(4, 512, 0), Integer.MAX_VALUE, size -> {})) {
            GenerationResult result = batcher.generate(request, CancellationToken.untimed(), p -> {});
            assertThat(result.finishReason()).isEqualTo(GenerationResult.LENGTH);
            assertThat(result.outputTokens()).isEqualTo(maxTokens);
            assertThat(result.text()).isEqualTo(tok.decode(Arrays.copyOf(script, maxTokens)));
        }
        // The first token comes from the prompt; exactly maxTokens - 1 steps follow, none wasted.
        assertThat(model.fedBack).hasSize(maxTokens - 1);
    }

    @Test
    void aFailedStepFailsItsRequestsAndTheNextRequestIsServed() {
        int[] ids = tok.encode("    return a + b\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        BatchedDeviceModel model = alone(script);
        model.collectsBeforeFailure = 3;
        GenerationRequest request = new GenerationRequest("def add(a, b):", 100, 1.0, 1.0, 0, 1.0, 5L, List.of(), false);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tok, 0, new BatchLimits(4, 512, 0), Integer.MAX_VALUE, size -> {})) {
            assertThatThrownBy(() -> batcher.generate(request, CancellationToken.untimed(), p -> {})).hasMessageContaining("device fault");
            GenerationResult next = batcher.generate(request, CancellationToken.untimed(), p -> {});
            assertThat(next.text()).isEqualTo(tok.decode(script));
        }
        assertThat(model.inFlight).isEmpty();
    }

    @Test
    void theGeneratorRunsOneAheadTooWithTheSameTextAndNoStepPastTheBudget() {
        int[] ids = tok.encode("    return a + b + c + d + e\n");
        int[] script = Arrays.copyOfRange(ids, 1, ids.length);
        GenerationRequest full = new GenerationRequest("def add(a, b):", 100, 1.0, 1.0, 0, 1.0, 5L, List.of(), false);
        BatchedDeviceModel model = alone(script);
        GenerationResult ahead = new Generator(model, tok, 0).generate(full, CancellationToken.untimed(), p -> {});
        assertThat(ahead.text()).isEqualTo(tok.decode(script));
        assertThat(ahead.outputTokens()).isEqualTo(script.length + 1); // EOS counted
        assertThat(model.fedRaw.subList(1, model.fedRaw.size())).containsOnly(DeviceSamplingModel.TOKEN_ON_DEVICE);
        assertThat(model.maxInFlight).isEqualTo(2);
        assertThat(model.inFlight).isEmpty();

        BatchedDeviceModel budgeted = alone(script);
        GenerationRequest four = new GenerationRequest("def add(a, b):", 4, 1.0, 1.0, 0, 1.0, 5L, List.of(), false);
        GenerationResult cut = new Generator(budgeted, tok, 0).generate(four, CancellationToken.untimed(), p -> {});
        assertThat(cut.finishReason()).isEqualTo(GenerationResult.LENGTH);
        assertThat(cut.text()).isEqualTo(tok.decode(Arrays.copyOf(script, 4)));
        assertThat(budgeted.fedBack).hasSize(3);
    }

    @Test
    void aFailedStepInTheGeneratorLeavesNoStepInFlight() {
        int[] ids = tok.encode("    return a + b\n");
        BatchedDeviceModel model = alone(Arrays.copyOfRange(ids, 1, ids.length));
        model.collectsBeforeFailure = 2;
        GenerationRequest request = new GenerationRequest("def add(a, b):", 100, 1.0, 1.0, 0, 1.0, 5L, List.of(), false);
        assertThatThrownBy(() -> new Generator(model, tok, 0).generate(request, CancellationToken.untimed(), p -> {}))
                .hasMessageContaining("device fault");
        assertThat(model.inFlight).isEmpty();
    }
}
