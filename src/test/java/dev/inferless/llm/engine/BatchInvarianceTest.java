package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.api.CancellationToken;
import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.LlamaModel;
import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * model.batch_invariant on the portable (CPU) path: 16 concurrent copies of a seeded request give
 * 16 outputs equal, bit for bit, to the request alone: the same text and the same log-probabilities
 * (which carry the logits' last bits, where batching alone would change them by ~1e-6). Prompts
 * are cut into chunks at the same places whatever runs beside them.
 */
class BatchInvarianceTest {

    private static final int COPIES = 16;

    @Test
    void theOptionIsReadFromTheModelSection() {
        assertThat(BatchLimits.from(Map.of()).batchInvariant()).isFalse();
        assertThat(BatchLimits.from(Map.of("batch_invariant", true)).batchInvariant()).isTrue();
        assertThat(BatchLimits.from(Map.of("batch_invariant", "true")).batchInvariant()).isTrue();
        assertThatThrownBy(() -> BatchLimits.from(Map.of("batch_invariant", "sometimes")))
                .hasMessageContaining("model.batch_invariant");
    }

    @Test
    void concurrentCopiesOfASeededRequestGiveWhatItGivesAlone(@TempDir Path dir) throws Exception {
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 5, dir);
        // max_prefill_tokens 3: the copies' prompts run in chunks, several prompts per step.
        BatchLimits limits = new BatchLimits(COPIES, 3, 0, true);
        try (Checkpoint ckpt = Checkpoint.open(dir);
             LlamaModel model = LlamaModel.load(ckpt, "cpu");
             Tokenizer tokenizer = Tokenizer.load(ckpt.tokenizerJson(), ckpt.config().bosTokenId(), ckpt.config().eosTokenId())) {
            assertThat(tokenizer.encode(PROMPT).length % 3).as("a prompt that leaves a short last chunk").isNotZero();
            String alone;
            try (ContinuousBatcher batcher = new ContinuousBatcher(model, tokenizer, 0, limits, Integer.MAX_VALUE, size -> {})) {
                alone = generate(batcher);
            }
            ConcurrentLinkedQueue<Integer> batchSizes = new ConcurrentLinkedQueue<>();
            List<String> together = new ArrayList<>();
            try (ContinuousBatcher batcher = new ContinuousBatcher(model, tokenizer, 0, limits, Integer.MAX_VALUE, batchSizes::add)) {
                ExecutorService pool = Executors.newFixedThreadPool(COPIES);
                try {
                    CountDownLatch go = new CountDownLatch(1);
                    List<Future<String>> futures = new ArrayList<>();
                    for (int i = 0; i < COPIES; i++) {
                        futures.add(pool.submit(() -> {
                            go.await();
                            return generate(batcher);
                        }));
                    }
                    go.countDown();
                    for (Future<String> f : futures) together.add(f.get(120, TimeUnit.SECONDS));
                } finally {
                    pool.shutdownNow();
                }
            }
            assertThat(batchSizes.stream().mapToInt(Integer::intValue).max().orElse(0)).as("steps were shared").isGreaterThan(1);
            assertThat(together).hasSize(COPIES).allSatisfy(output -> assertThat(output).isEqualTo(alone));
        }
    }

    private static final String PROMPT = "def fib(n):\n    if n < 2: return n\n";

    /** One seeded request at temperature 1: its text, then each token with its logprob and top 5, exactly. */
    private static String generate(ContinuousBatcher batcher) {
        List<TokenLogprobs> logprobs = new ArrayList<>();
        GenerationRequest request = new GenerationRequest(PROMPT, 32, 1.0, 1, 0, 1, 1234L, List.of(), true,
                new LogprobsRequest(5, logprobs::add));
        StringBuilder out = new StringBuilder(batcher.generate(request, CancellationToken.untimed(), piece -> {}).text());
        for (TokenLogprobs t : logprobs) {
            out.append('\n').append(t.token()).append(' ').append(t.logprob()).append(' ')
                    .append(Arrays.toString(t.topTokens())).append(Arrays.toString(t.topLogprobs()));
        }
        return out.toString();
    }

    @Test
    void promptsAreCutAtMultiplesOfMaxPrefillTokensWhateverRunsBesideThem(@TempDir Path dir) throws Exception {
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 5, dir);
        String[] prompts = {"def fib(n):", "class Stack:\n    def", "import os, sys\n", "return x + 1  # one", "if n < 2"};
        int chunk = 3;
        try (Checkpoint ckpt = Checkpoint.open(dir);
             LlamaModel llama = LlamaModel.load(ckpt, "cpu");
             Tokenizer tokenizer = Tokenizer.load(ckpt.tokenizerJson(), ckpt.config().bosTokenId(), ckpt.config().eosTokenId())) {
            ChunkRecorder model = new ChunkRecorder(llama);
            try (ContinuousBatcher batcher = new ContinuousBatcher(model, tokenizer, 0,
                    new BatchLimits(prompts.length, chunk, 0, true), Integer.MAX_VALUE, size -> {})) {
                ExecutorService pool = Executors.newFixedThreadPool(prompts.length);
                try {
                    List<Future<?>> futures = new ArrayList<>();
                    for (int i = 0; i < prompts.length; i++) {
                        String p = prompts[i];
                        futures.add(pool.submit(() -> batcher.generate(Requests.greedy(p, 2), CancellationToken.untimed(), piece -> {})));
                        // The first prompt's first chunk waits until the others queue: they all join at one boundary.
                        if (i == 0) model.entered.await();
                    }
                    while (batcher.waiting() < prompts.length - 1) Thread.sleep(1);
                    model.start.countDown();
                    for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
                } finally {
                    model.start.countDown();
                    pool.shutdownNow();
                }
            }
            assertThat(model.chunks).hasSize(prompts.length);
            for (List<Integer> sizes : model.chunks) {
                int length = sizes.stream().mapToInt(Integer::intValue).sum();
                List<Integer> fixed = new ArrayList<>();
                for (int left = length; left > 0; left -= chunk) fixed.add(Math.min(chunk, left));
                assertThat(sizes).as("chunks of a %d-token prompt", length).isEqualTo(fixed);
            }
        }
    }

    /** The model, recording the chunk sizes of each session's prompt; the first chunk waits for {@code start}. */
    private static final class ChunkRecorder implements LanguageModel {
        final List<List<Integer>> chunks = new ArrayList<>();
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch start = new CountDownLatch(1);
        private final LanguageModel model;

        ChunkRecorder(LanguageModel model) {
            this.model = model;
        }

        @Override
        public LlamaConfig config() {
            return model.config();
        }

        @Override
        public String device() {
            return model.device();
        }

        @Override
        public DecodeSession newSession(int maxTokens) {
            DecodeSession session = model.newSession(maxTokens);
            List<Integer> sizes = new ArrayList<>();
            chunks.add(sizes);
            return new DecodeSession() {
                @Override
                public float[] prefill(int[] tokens) {
                    return append(tokens);
                }

                @Override
                public float[] append(int[] tokens) {
                    try {
                        entered.countDown();
                        start.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    sizes.add(tokens.length);
                    return session.append(tokens);
                }

                @Override
                public float[] decode(int token) {
                    return session.decode(token);
                }

                @Override
                public int position() {
                    return session.position();
                }

                @Override
                public void close() {
                    session.close();
                }
            };
        }

        @Override
        public void close() {}
    }
}
