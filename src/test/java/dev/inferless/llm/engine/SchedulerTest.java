package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.api.CancellationToken;
import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.LlamaModel;
import dev.inferless.llm.model.PagedKvModel;
import dev.inferless.llm.model.fast.DeviceSampling;
import dev.inferless.llm.model.fast.DeviceSamplingModel;
import dev.inferless.llm.model.fast.SampledTokens;
import dev.inferless.llm.sampling.SamplingParams;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduler's KV block accounting, driven step by step on this thread (the batcher's loop,
 * without its thread) over a tiny random checkpoint on CPU: admission by free blocks, preemption by
 * recompute when the pool runs out, prefix reuse; each request's answer stays what it is alone.
 */
class SchedulerTest {

    private static final int WINDOW = 64;
    private static final int BLOCK = 4;

    private static Checkpoint checkpoint;
    private static LlamaModel model;
    private static Tokenizer tokenizer;

    @BeforeAll
    static void load(@TempDir Path dir) throws Exception {
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 5, dir.resolve("ckpt"));
        checkpoint = Checkpoint.open(dir.resolve("ckpt"));
        model = LlamaModel.load(checkpoint, "cpu");
        tokenizer = Tokenizer.load(checkpoint.tokenizerJson(), checkpoint.config().bosTokenId(),
                checkpoint.config().eosTokenId());
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        model.close();
        checkpoint.close();
    }

    private static Scheduler scheduler(int maxBatch, int blocks, boolean prefixCaching) {
        return new Scheduler(new BatchLimits(maxBatch, 8, 0), Integer.MAX_VALUE, Integer.MAX_VALUE,
                new KvCacheSettings(BLOCK, blocks, prefixCaching), WINDOW);
    }

    private static Pending entry(GenerationRequest request) {
        return entry(request, CancellationToken.untimed());
    }

    private static Pending entry(GenerationRequest request, CancellationToken cancellation) {
        PromptTokens checked = PromptTokens.of(tokenizer, request, WINDOW);
        Pending e = new Pending();
        e.sequence = Sequence.start(request, checked, tokenizer, cancellation, e::send);
        return e;
    }

    private static GenerationRequest greedy(String prompt, int maxTokens) {
        return new GenerationRequest(prompt, maxTokens, 0, 1, 0, 1, null, List.of(), true);
    }

    /** One pass of the batcher's loop: admit, prefill, grow (preempting), decode, retire. */
    private static void step(Scheduler s, LanguageModel m, StepRunner runner) throws InterruptedException {
        s.admit();
        s.retireFinished();
        s.prefillChunks(m, sequence -> runner);
        s.retireFinished();
        s.growForDecode(m, () -> runner.finishInFlight(s));
        List<Sequence> decoding = s.decoding();
        if (!decoding.isEmpty()) runner.step(decoding, s);
        s.retireFinished();
        if (s.running().isEmpty()) runner.finishInFlight(s);
    }

    private static List<GenerationResult> runAll(Scheduler s, List<Pending> entries) throws InterruptedException {
        return runAll(s, model, new HostSampledSteps(model, b -> {}), entries);
    }

    /** {@code runner} null: steps sampled on the host. */
    private static List<GenerationResult> runAll(Scheduler s, LanguageModel m, StepRunner runner,
                                                 List<Pending> entries) throws InterruptedException {
        if (runner == null) runner = new HostSampledSteps(m, b -> {});
        entries.forEach(s::add);
        // every request answered (its result or its failure sent) once none runs or waits
        for (int guard = 0; guard < 5_000 && (!s.running().isEmpty() || s.waitingCount() > 0); guard++) {
            step(s, m, runner);
        }
        assertThat(s.running()).as("every request answered").isEmpty();
        assertThat(s.waitingCount()).as("every request answered").isZero();
        List<GenerationResult> results = new ArrayList<>();
        for (Pending e : entries) {
            results.add(e.await(piece -> {})); // a failure is thrown
        }
        return results;
    }

    private static List<GenerationRequest> requests() {
        List<GenerationRequest> list = new ArrayList<>();
        String[] prompts = {"def fib(n):", " return x + 1", "class Foo:\n", " if x", "import os\n", "世界 é def"};
        for (int i = 0; i < prompts.length; i++) {
            boolean seeded = i % 2 == 1;
            list.add(new GenerationRequest(prompts[i], 30 + i, seeded ? 0.8 : 0, seeded ? 0.9 : 1, seeded ? 40 : 0,
                    1.0, seeded ? 7L + i : null, List.of(), true));
        }
        return list;
    }

    @Test
    void whenThePoolRunsOutTheYoungestIsPreemptedAndRecomputedWithTheSameAnswer() throws Exception {
        Generator alone = new Generator(model, tokenizer, WINDOW);
        List<GenerationRequest> requests = requests();
        Scheduler s = scheduler(4, WINDOW / BLOCK, true); // one context window for four sequences
        List<GenerationResult> got = runAll(s, requests.stream().map(SchedulerTest::entry).toList());
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult want = alone.generate(requests.get(i));
            assertThat(got.get(i).text()).as("request " + i).isEqualTo(want.text());
            assertThat(got.get(i).outputTokens()).as("request " + i).isEqualTo(want.outputTokens());
            assertThat(got.get(i).finishReason()).as("request " + i).isEqualTo(want.finishReason());
        }
        assertThat(s.preemptions()).isPositive();
        assertThat(s.blocks().usage()).as("every block given back").isZero();
    }

    @Test
    void stepsLaunchedAheadOnTheDeviceAreTakenBeforeAPreemptionAndAnswersStayTheSame() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        String[] prompts = {"def fib(n):", " return x + 1", "class Foo:\n", " if x", "import os\n"};
        for (String p : prompts) requests.add(greedy(p, 40));
        List<GenerationResult> alone = new ArrayList<>();
        for (GenerationRequest r : requests) {
            ContentSampledModel m = new ContentSampledModel();
            alone.add(runAll(scheduler(4, 0, true), m, new DeviceSampledSteps(m, b -> {}), List.of(entry(r))).get(0));
        }
        ContentSampledModel m = new ContentSampledModel();
        Scheduler s = scheduler(4, WINDOW / BLOCK, true);
        List<GenerationResult> got = runAll(s, m, new DeviceSampledSteps(m, b -> {}),
                requests.stream().map(SchedulerTest::entry).toList());
        for (int i = 0; i < requests.size(); i++) {
            assertThat(got.get(i).text()).as("request " + i).isEqualTo(alone.get(i).text());
            assertThat(got.get(i).outputTokens()).isEqualTo(40);
        }
        assertThat(s.preemptions()).isPositive();
        assertThat(m.maxInFlight).as("steps did run ahead").isEqualTo(2);
    }

    /**
     * A device-sampling model whose next token is a hash of all tokens in the session's cache (so a
     * recomputed cache gives the same tokens), with steps launched ahead; closing a session with a
     * step in flight fails, as freeing its blocks would corrupt that step.
     */
    static final class ContentSampledModel implements LanguageModel, DeviceSamplingModel {
        private final java.util.ArrayDeque<int[]> inFlight = new java.util.ArrayDeque<>();
        private final java.util.ArrayDeque<List<Session>> inFlightSessions = new java.util.ArrayDeque<>();
        int maxInFlight;

        final class Session implements DecodeSession, DeviceSampling {
            final List<Integer> cache = new ArrayList<>();
            int last;

            int sample() {
                long h = 17;
                for (int t : cache) h = h * 31 + t;
                last = 3 + (int) Math.floorMod(h ^ (h >>> 17), ScriptedModel.VOCAB - 3L);
                return last;
            }

            int appends; // chunks appended before the prompt's last

            /** The prompt past the chunks appended so far. */
            @Override
            public SampledTokens prefillAndSample(int[] tokens, SamplingParams params, long seed, int logprobs) {
                if (sampledPrompt) throw new IllegalStateException("prefillAndSample runs once");
                if (tokens.length <= cache.size()) throw new IllegalArgumentException("the prompt must extend past the cache");
                for (int i = 0; i < cache.size(); i++) {
                    if (cache.get(i) != tokens[i]) throw new IllegalStateException("the chunks appended are not the prompt's");
                }
                for (int i = cache.size(); i < tokens.length; i++) cache.add(tokens[i]);
                sampledPrompt = true;
                return SampledTokens.of(sample());
            }

            boolean sampledPrompt;

            @Override
            public float[] append(int[] tokens) {
                if (sampledPrompt) throw new IllegalStateException("a chunk after the prompt was sampled");
                for (int t : tokens) cache.add(t);
                appends++;
                return new float[0];
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
                return cache.size();
            }

            @Override
            public void close() {
                for (List<Session> step : inFlightSessions) {
                    if (step.contains(this)) throw new IllegalStateException("closed with a step in flight");
                }
            }
        }

        final List<Session> sessions = new ArrayList<>();

        @Override
        public DecodeSession newSession(int maxTokens) {
            Session session = new Session();
            sessions.add(session);
            return session;
        }

        @Override
        public void submitDecode(List<? extends DecodeSession> sessions, int[] tokens) {
            if (inFlight.size() == 2) throw new IllegalStateException("two steps in flight already");
            int[] next = new int[tokens.length];
            List<Session> step = new ArrayList<>();
            for (int i = 0; i < tokens.length; i++) {
                Session session = (Session) sessions.get(i);
                session.cache.add(tokens[i] == TOKEN_ON_DEVICE ? session.last : tokens[i]);
                next[i] = session.sample();
                step.add(session);
            }
            inFlight.add(next);
            inFlightSessions.add(step);
            maxInFlight = Math.max(maxInFlight, inFlight.size());
        }

        @Override
        public SampledTokens collectDecode() {
            inFlightSessions.poll();
            return SampledTokens.of(inFlight.poll());
        }

        @Override
        public dev.inferless.llm.checkpoint.LlamaConfig config() {
            return model.config();
        }

        @Override
        public String device() {
            return "gpu(0)";
        }

        @Override
        public void close() {}
    }

    @Test
    void onTheDeviceAPromptRunsWholeWithNothingDecodingAndInChunksBesideDecodes() throws Exception {
        GenerationRequest first = greedy("def fib(n): return n", 30);
        GenerationRequest second = greedy("class Foo:\n    def bar(self): pass\n", 30);
        List<GenerationResult> alone = new ArrayList<>();
        for (GenerationRequest r : List.of(first, second)) {
            ContentSampledModel m = new ContentSampledModel();
            alone.add(runAll(scheduler(4, 0, true), m, new DeviceSampledSteps(m, b -> {}), List.of(entry(r))).get(0));
            assertThat(m.sessions.get(0).appends).as("alone: one pass").isZero();
        }
        ContentSampledModel m = new ContentSampledModel();
        // Both join at once: the first runs whole (nothing decodes yet), the second in chunks of the
        // budget (8 tokens) beside the first's decode steps.
        List<GenerationResult> got = runAll(scheduler(4, 0, true), m, new DeviceSampledSteps(m, b -> {}),
                List.of(entry(first), entry(second)));
        assertThat(got.get(0).text()).isEqualTo(alone.get(0).text());
        assertThat(got.get(1).text()).isEqualTo(alone.get(1).text());
        assertThat(m.sessions.get(0).appends).isZero();
        int promptTokens = tokenizer.encode(second.prompt()).length;
        assertThat(m.sessions.get(1).appends).isEqualTo((promptTokens - 1) / 8);
    }

    @Test
    void onAPagedModelACachedPrefixIsNotComputedAgainAndTheAnswerIsTheSame() throws Exception {
        String prefix = "def fib(n): return fib(n - 1) + fib(n - 2) if n > 1 else n\n";
        GenerationRequest first = greedy(prefix + "print(fib(3))", 12);
        GenerationRequest second = greedy(prefix + "class Foo:", 12);
        GenerationResult secondAlone = runAll(scheduler(4, 0, true), new PagedModel(64), null, List.of(entry(second))).get(0);

        PagedModel paged = new PagedModel(64);
        Scheduler s = scheduler(4, 0, true);
        runAll(s, paged, null, List.of(entry(first)));
        paged.appended = 0;
        GenerationResult got = runAll(s, paged, null, List.of(entry(second))).get(0);

        int promptTokens = tokenizer.encode(second.prompt()).length;
        long hit = s.blocks().hitTokens();
        assertThat(hit).isPositive();
        assertThat(paged.appended).as("the tail of the prompt and the decode steps' tokens")
                .isEqualTo(promptTokens - hit + got.outputTokens() - 1);
        assertThat(got.text()).isEqualTo(secondAlone.text());
    }

    @Test
    void requestsArrivingWithThePrefixAnotherIsComputingWaitForItAndFindItCachedWhileOthersGoOn() throws Exception {
        String prefix = "def fib(n): return fib(n - 1) + fib(n - 2) if n > 1 else n\n";
        List<GenerationRequest> together = List.of(greedy(prefix + "print(fib(3))", 8), greedy(prefix + "print(fib(3))", 8),
                greedy(prefix + "class Foo:", 8), greedy("import os\n", 8));
        List<GenerationResult> alone = new ArrayList<>();
        for (GenerationRequest r : together) {
            alone.add(runAll(scheduler(4, 0, true), new PagedModel(64), null, List.of(entry(r))).get(0));
        }
        PagedModel paged = new PagedModel(64);
        Scheduler s = scheduler(4, 0, true);
        List<Pending> entries = together.stream().map(SchedulerTest::entry).toList();
        entries.forEach(s::add);
        s.admit();
        // the second and third wait for the first's prefix; the fourth, unrelated, does not wait for them
        assertThat(s.running()).extracting(r -> r.sequence.request).containsExactly(together.get(0), together.get(3));
        StepRunner runner = new HostSampledSteps(paged, b -> {});
        for (int guard = 0; guard < 5_000 && (!s.running().isEmpty() || s.waitingCount() > 0); guard++) {
            step(s, paged, runner);
        }
        List<GenerationResult> got = new ArrayList<>();
        for (Pending e : entries) got.add(e.await(piece -> {}));
        int full = tokenizer.encode(prefix + "print(fib(3))").length;
        int shared = 0;
        int[] a = tokenizer.encode(prefix + "print(fib(3))"), c = tokenizer.encode(prefix + "class Foo:");
        while (a[shared] == c[shared]) shared++;
        // the repeat finds all but its last block cached, the third the prefix's full blocks
        assertThat(s.blocks().hitTokens()).isEqualTo((full - 1) / BLOCK * BLOCK + shared / BLOCK * BLOCK);
        for (int i = 0; i < together.size(); i++) {
            assertThat(got.get(i).text()).as("request " + i).isEqualTo(alone.get(i).text());
        }
    }

    @Test
    void onAPagedModelPreemptionAndGrowthKeepEveryAnswer() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        for (String p : new String[] {"def fib(n):", " return x + 1", "class Foo:\n", " if x", "import os\n"}) {
            requests.add(greedy(p, 40));
        }
        List<GenerationResult> alone = new ArrayList<>();
        for (GenerationRequest r : requests) {
            alone.add(runAll(scheduler(4, 0, true), new PagedModel(64), null, List.of(entry(r))).get(0));
        }
        Scheduler s = new Scheduler(new BatchLimits(4, 8, 0), Integer.MAX_VALUE, Integer.MAX_VALUE,
                new KvCacheSettings(BLOCK, 16, true), WINDOW);
        List<GenerationResult> got = runAll(s, new PagedModel(16), null, requests.stream().map(SchedulerTest::entry).toList());
        for (int i = 0; i < requests.size(); i++) {
            assertThat(got.get(i).text()).as("request " + i).isEqualTo(alone.get(i).text());
        }
        assertThat(s.preemptions()).isPositive();
    }

    /**
     * A paged model on the host: one pool of token slots in blocks of {@link #BLOCK}, each session
     * writing and reading through its block table, its logits a function of the tokens it reads (so
     * a wrong table or a stale block changes the answer). Counts the tokens it computes.
     */
    static final class PagedModel implements LanguageModel, PagedKvModel {
        private final int[] pool;
        int appended;

        PagedModel(int blocks) {
            pool = new int[blocks * BLOCK];
            java.util.Arrays.fill(pool, -1);
        }

        final class Session implements DecodeSession {
            int[] table;
            int position;

            Session(int[] table, int position) {
                this.table = table;
                this.position = position;
            }

            @Override
            public float[] append(int[] tokens) {
                for (int t : tokens) {
                    pool[table[position / BLOCK] * BLOCK + position % BLOCK] = t; // out of the table: an exception
                    position++;
                    appended++;
                }
                long h = 17;
                for (int p = 0; p < position; p++) h = h * 31 + pool[table[p / BLOCK] * BLOCK + p % BLOCK];
                float[] logits = new float[ScriptedModel.VOCAB];
                logits[3 + (int) Math.floorMod(h ^ (h >>> 17), ScriptedModel.VOCAB - 3L)] = 1;
                return logits;
            }

            @Override
            public float[] prefill(int[] tokens) {
                return append(tokens);
            }

            @Override
            public float[] decode(int token) {
                return append(new int[] {token});
            }

            @Override
            public int position() {
                return position;
            }

            @Override
            public void close() {}
        }

        @Override
        public int kvBlockSize() {
            return BLOCK;
        }

        @Override
        public int kvBlocks() {
            return pool.length / BLOCK;
        }

        @Override
        public DecodeSession newSession(int maxTokens, int[] blocks, int cachedTokens) {
            return new Session(blocks, cachedTokens);
        }

        @Override
        public void grow(DecodeSession session, int[] blocks) {
            ((Session) session).table = blocks;
        }

        @Override
        public DecodeSession newSession(int maxTokens) {
            throw new AssertionError("a paged model's sessions open on blocks");
        }

        @Override
        public dev.inferless.llm.checkpoint.LlamaConfig config() {
            return model.config();
        }

        @Override
        public String device() {
            return "cpu";
        }

        @Override
        public void close() {}
    }

    @Test
    void aPreemptedRequestCancelledWhileItWaitsToRunAgainEndsCancelledWithItsTokensSoFar() throws Exception {
        Scheduler s = scheduler(4, WINDOW / BLOCK, true); // one context window for four sequences
        List<Pending> entries = requests().stream().map(r -> entry(r, CancellationToken.untimed())).toList();
        StepRunner runner = new HostSampledSteps(model, b -> {});
        entries.forEach(s::add);
        for (int guard = 0; guard < 5_000 && s.preemptions() == 0; guard++) {
            step(s, model, runner);
        }
        Pending preempted = entries.stream()
                .filter(e -> !s.running().contains(e) && !e.sequence.finished() && e.sequence.outputs > 0)
                .findFirst().orElseThrow();
        int taken = preempted.sequence.outputs;
        preempted.sequence.cancellation.cancel(CancellationToken.Reason.DEADLINE);
        for (int guard = 0; guard < 5_000 && (!s.running().isEmpty() || s.waitingCount() > 0); guard++) {
            step(s, model, runner);
        }
        GenerationResult got = preempted.await(piece -> {}); // not a failure: its client has its text already
        assertThat(got.finishReason()).isEqualTo(GenerationResult.CANCELLED);
        assertThat(got.outputTokens()).isEqualTo(taken);
        assertThat(s.blocks().usage()).as("every block given back").isZero();
    }

    @Test
    void aPoolLargeEnoughForEveryoneNeverPreempts() throws Exception {
        Scheduler s = scheduler(4, 0, true); // 0: four context windows
        runAll(s, requests().stream().map(SchedulerTest::entry).toList());
        assertThat(s.preemptions()).isZero();
    }

    @Test
    void admissionWaitsForFreeBlocks() throws Exception {
        String prompt = "def fib(n): return fib(n - 1) + fib(n - 2) if n > 1 else n";
        int promptTokens = tokenizer.encode(prompt).length;
        int blocks = WINDOW / BLOCK;
        assertThat(2 * ((promptTokens + BLOCK - 1) / BLOCK)).as("two prompts do not fit the pool").isGreaterThan(blocks);
        Scheduler s = scheduler(4, blocks, false);
        s.add(entry(greedy(prompt, 4)));
        s.add(entry(greedy(prompt + " ", 4)));
        s.admit();
        assertThat(s.running()).hasSize(1);
        assertThat(s.waitingCount()).isEqualTo(1);
    }

    @Test
    void aRepeatedPromptFindsItsFullBlocksCachedAndAnswersTheSame() throws Exception {
        String prefix = "def fib(n): return fib(n - 1) + fib(n - 2) if n > 1 else n\n";
        GenerationRequest first = greedy(prefix + "print(fib(3))", 6);
        GenerationRequest second = greedy(prefix + "class Foo:", 6);
        Scheduler s = scheduler(4, 0, true);
        runAll(s, List.of(entry(first)));
        assertThat(s.blocks().hitTokens()).isZero();
        GenerationResult got = runAll(s, List.of(entry(second))).get(0);

        int[] a = tokenizer.encode(first.prompt()), b = tokenizer.encode(second.prompt());
        int common = 0;
        while (common < Math.min(a.length, b.length) && a[common] == b[common]) common++;
        assertThat(s.blocks().hitTokens()).isEqualTo(common / BLOCK * BLOCK).isPositive();
        assertThat(s.blocks().queriedTokens()).isEqualTo(a.length + b.length);
        assertThat(got.text()).isEqualTo(new Generator(model, tokenizer, WINDOW).generate(second).text());
    }

    @Test
    void withPrefixCachingOffNothingIsFound() throws Exception {
        GenerationRequest r = greedy("def fib(n): return fib(n - 1) + fib(n - 2) if n > 1 else n", 4);
        Scheduler s = scheduler(4, 0, false);
        runAll(s, List.of(entry(r)));
        runAll(s, List.of(entry(r)));
        assertThat(s.blocks().hitTokens()).isZero();
    }
}
