package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.api.CancellationToken;
import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.model.LlamaModel;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests generated together through the batcher give exactly what each gives alone through
 * {@link Generator} (greedy, and seeded sampling), on a tiny random checkpoint on CPU: batching
 * changes only the order of float32 sums (relative error ~1e-6), far below any logit gap that
 * decides a token here.
 */
class ContinuousBatcherTest {

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

    /** Different prompts, lengths, budgets, sampling parameters, seeds and stop sequences. */
    private static List<GenerationRequest> requests(long seed) {
        Random rnd = new Random(seed);
        String[] words = {"def", " fib", "(n):", " return", " x", " +", " 1", "\n", " if", " class", " é", " 世界"};
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            StringBuilder prompt = new StringBuilder();
            for (int w = 0, n = 1 + rnd.nextInt(12); w < n; w++) prompt.append(words[rnd.nextInt(words.length)]);
            boolean greedy = i % 2 == 0;
            list.add(new GenerationRequest(prompt.toString(), 5 + rnd.nextInt(30), greedy ? 0 : 0.8, greedy ? 1 : 0.9,
                    greedy ? 0 : 40, i == 3 ? 1.2 : 1.0, greedy ? null : (long) rnd.nextInt(1000),
                    i == 5 ? List.of("x", "\n") : List.of(), i % 3 == 0));
        }
        return list;
    }

    /** 64: every prompt here runs in one chunk; 3: prompts run in chunks of up to 3 tokens, over several steps. */
    @org.junit.jupiter.params.ParameterizedTest(name = "max_prefill_tokens {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {64, 3})
    void concurrentRequestsGiveWhatEachGivesAloneAndShareSteps(int maxPrefillTokens) throws Exception {
        List<GenerationRequest> requests = requests(41);
        Generator alone = new Generator(model, tokenizer, 0);
        List<GenerationResult> expected = new ArrayList<>();
        for (GenerationRequest r : requests) expected.add(alone.generate(r));

        ConcurrentLinkedQueue<Integer> batchSizes = new ConcurrentLinkedQueue<>();
        int maxBatch = 4;
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tokenizer, 0, new BatchLimits(maxBatch, maxPrefillTokens, 0), Integer.MAX_VALUE,
                batchSizes::add)) {
            ExecutorService pool = Executors.newFixedThreadPool(requests.size());
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<Object>>> futures = new ArrayList<>();
                for (GenerationRequest r : requests) {
                    futures.add(pool.submit(() -> {
                        go.await();
                        StringBuilder streamed = new StringBuilder();
                        GenerationResult result = batcher.generate(r, CancellationToken.untimed(), streamed::append);
                        return List.of(result, streamed.toString());
                    }));
                }
                go.countDown();
                for (int i = 0; i < requests.size(); i++) {
                    List<Object> got = futures.get(i).get(60, TimeUnit.SECONDS);
                    GenerationResult result = (GenerationResult) got.get(0);
                    GenerationResult want = expected.get(i);
                    assertThat(result.text()).as("request " + i).isEqualTo(want.text());
                    assertThat(got.get(1)).as("streamed pieces of request " + i).isEqualTo(want.text());
                    assertThat(result.outputTokens()).as("request " + i).isEqualTo(want.outputTokens());
                    assertThat(result.promptTokens()).isEqualTo(want.promptTokens());
                    assertThat(result.finishReason()).as("request " + i).isEqualTo(want.finishReason());
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(batchSizes).allMatch(b -> b >= 1 && b <= maxBatch);
            assertThat(batchSizes.stream().mapToInt(Integer::intValue).max().orElse(0)).as("steps were shared").isGreaterThan(1);
            waitFor(() -> batcher.running() == 0 && batcher.waiting() == 0);
        }
    }

    @Test
    void theTokensInFlightBoundLimitsWhoRunsTogetherNotWhatTheyAnswer() throws Exception {
        List<GenerationRequest> requests = new ArrayList<>();
        for (String p : new String[] {"def", "class", "import", "return"}) {
            requests.add(new GenerationRequest(p, 20, 0, 1, 0, 1, null, List.of(), true));
        }
        Generator alone = new Generator(model, tokenizer, 0);
        int[] capacities = requests.stream().mapToInt(r -> tokenizer.encode(r.prompt()).length + 20).toArray();
        int largest = java.util.Arrays.stream(capacities).max().orElseThrow();
        int smallest = java.util.Arrays.stream(capacities).min().orElseThrow();
        assertThat(3 * smallest).as("a bound that fits any two but no three").isGreaterThan(2 * largest);
        ConcurrentLinkedQueue<Integer> batchSizes = new ConcurrentLinkedQueue<>();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tokenizer, 0,
                new BatchLimits(8, 64, 2L * largest), Integer.MAX_VALUE, batchSizes::add)) {
            ExecutorService pool = Executors.newFixedThreadPool(requests.size());
            try {
                List<Future<GenerationResult>> futures = new ArrayList<>();
                for (GenerationRequest r : requests) futures.add(pool.submit(() -> batcher.generate(r, CancellationToken.untimed(), p -> {})));
                for (int i = 0; i < requests.size(); i++) {
                    assertThat(futures.get(i).get(60, TimeUnit.SECONDS).text()).isEqualTo(alone.generate(requests.get(i)).text());
                }
            } finally {
                pool.shutdownNow();
            }
        }
        assertThat(batchSizes).isNotEmpty().allMatch(b -> b <= 2);
    }

    @Test
    void aCancelledRequestLeavesAtTheNextStepAndTheOthersGoOn() throws Exception {
        GenerationRequest longRun = new GenerationRequest("def", 200, 0, 1, 0, 1, null, List.of(), true);
        GenerationResult expected = new Generator(model, tokenizer, 0).generate(longRun);
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tokenizer, 0, new BatchLimits(4, 64, 0), Integer.MAX_VALUE, b -> {})) {
            CancellationToken cancel = CancellationToken.untimed();
            AtomicInteger pieces = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<GenerationResult> cancelled = pool.submit(() -> batcher.generate(longRun, cancel, p -> {
                    if (pieces.incrementAndGet() == 3) cancel.cancel(CancellationToken.Reason.CLIENT_GONE);
                }));
                Future<GenerationResult> other = pool.submit(() -> batcher.generate(longRun, CancellationToken.untimed(), p -> {}));
                GenerationResult c = cancelled.get(60, TimeUnit.SECONDS);
                assertThat(c.finishReason()).isEqualTo(GenerationResult.CANCELLED);
                assertThat(c.outputTokens()).isLessThan(200);
                assertThat(other.get(60, TimeUnit.SECONDS).text()).isEqualTo(expected.text());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * The engine is its model's one queue and limit: with the batch full and {@code maxWaiting}
     * requests waiting, the next is refused; a waiting request whose deadline passes fails as
     * cancelled without having run, while the batch goes on.
     */
    @Test
    void aFullQueueRefusesAndADeadlinePassedInTheQueueFailsWithoutRunning() throws Exception {
        GenerationRequest longRun = new GenerationRequest("def", 200, 0, 1, 0, 1, null, List.of(), true);
        try (ContinuousBatcher batcher = new ContinuousBatcher(slow(model), tokenizer, 0, new BatchLimits(1, 64, 0), 1,
                b -> {})) {
            CancellationToken running = CancellationToken.untimed();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<GenerationResult> first = pool.submit(() -> batcher.generate(longRun, running, p -> {}));
                waitFor(() -> batcher.running() == 1);
                Future<GenerationResult> queued = pool.submit(() -> batcher.generate(longRun,
                        CancellationToken.withTimeout(java.time.Duration.ofMillis(300)), p -> {}));
                waitFor(() -> batcher.waiting() == 1);
                assertThatThrownBy(() -> batcher.generate(longRun, CancellationToken.untimed(), p -> {}))
                        .isInstanceOf(dev.inferless.api.OverCapacityException.class).hasMessageContaining("over capacity");
                assertThatThrownBy(() -> queued.get(60, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(java.util.concurrent.CancellationException.class)
                        .hasMessageContaining("DEADLINE");
                assertThat(first.isDone()).isFalse();
                running.cancel(CancellationToken.Reason.SHUTDOWN);
                assertThat(first.get(60, TimeUnit.SECONDS).finishReason()).isEqualTo(GenerationResult.CANCELLED);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** {@code inner} with each decode step 20 ms long, so that a long request holds the batch. */
    private static dev.inferless.llm.model.LanguageModel slow(dev.inferless.llm.model.LanguageModel inner) {
        return new dev.inferless.llm.model.LanguageModel() {
            @Override
            public dev.inferless.llm.checkpoint.LlamaConfig config() {
                return inner.config();
            }

            @Override
            public String device() {
                return inner.device();
            }

            @Override
            public dev.inferless.llm.model.DecodeSession newSession(int maxTokens) {
                return inner.newSession(maxTokens);
            }

            @Override
            public float[][] decodeBatch(List<dev.inferless.llm.model.DecodeSession> sessions, int[] tokens) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return inner.decodeBatch(sessions, tokens);
            }

            @Override
            public void close() {}
        };
    }

    @Test
    void aFailingDecodeStepFailsTheRequestsInTheBatchAndTheNextOnesRun() throws Exception {
        AtomicBoolean explode = new AtomicBoolean(true);
        dev.inferless.llm.model.LanguageModel flaky = new dev.inferless.llm.model.LanguageModel() {
            @Override
            public dev.inferless.llm.checkpoint.LlamaConfig config() {
                return model.config();
            }

            @Override
            public String device() {
                return model.device();
            }

            @Override
            public dev.inferless.llm.model.DecodeSession newSession(int maxTokens) {
                return model.newSession(maxTokens);
            }

            @Override
            public float[][] decodeBatch(List<dev.inferless.llm.model.DecodeSession> sessions, int[] tokens) {
                if (explode.getAndSet(false)) {
                    throw new OutOfMemoryError("device out of memory (on purpose)");
                }
                return model.decodeBatch(sessions, tokens);
            }

            @Override
            public void close() {}
        };
        GenerationRequest request = new GenerationRequest("def", 5, 0, 1, 0, 1, null, List.of(), true);
        try (ContinuousBatcher batcher = new ContinuousBatcher(flaky, tokenizer, 0, new BatchLimits(4, 64, 0), Integer.MAX_VALUE, b -> {})) {
            assertThatThrownBy(() -> batcher.generate(request, CancellationToken.untimed(), p -> {}))
                    .hasMessageContaining("out of memory (on purpose)");
            assertThat(batcher.generate(request, CancellationToken.untimed(), p -> {}).text())
                    .isEqualTo(new Generator(model, tokenizer, 0).generate(request).text());
        }
    }

    @Test
    void aPromptPastTheContextWindowFailsAloneBeforeJoining() {
        try (ContinuousBatcher batcher = new ContinuousBatcher(model, tokenizer, 16, new BatchLimits(2, 64, 0), Integer.MAX_VALUE, b -> {})) {
            assertThatThrownBy(() -> batcher.generate(Requests.greedy(" x".repeat(40), 4), CancellationToken.untimed(), p -> {}))
                    .isInstanceOf(dev.inferless.api.BadInputException.class).hasMessageContaining("context window is 16");
            assertThat(batcher.generate(Requests.greedy("def", 4), CancellationToken.untimed(), p -> {}).outputTokens())
                    .isBetween(1, 4);
        }
    }

    @Test
    void closingFailsWaitingRequestsAndRefusesNewOnes() {
        ContinuousBatcher batcher = new ContinuousBatcher(model, tokenizer, 0, new BatchLimits(1, 64, 0), Integer.MAX_VALUE, b -> {});
        batcher.close();
        assertThatThrownBy(() -> batcher.generate(Requests.greedy("def", 4), CancellationToken.untimed(), p -> {}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> new BatchLimits(0, 64, 0)).hasMessageContaining("model.max_batch_size");
        assertThatThrownBy(() -> BatchLimits.from(java.util.Map.of("max_prefill_tokens", "lots")))
                .hasMessageContaining("model.max_prefill_tokens");
        assertThat(BatchLimits.from(java.util.Map.of())).isEqualTo(new BatchLimits(16, 512, 0));
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out");
            Thread.sleep(2);
        }
    }
}
