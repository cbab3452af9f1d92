package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.model.CheckpointWeights;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.KvPoolSize;
import dev.inferless.llm.reference.ReferenceLlama;
import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.llm.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated tokens' log-probabilities against a plain-Java reference: log_softmax of the
 * double-precision reference model's logits at each position, on a tiny fp32 checkpoint.
 */
class LogprobsTest {

    @TempDir
    Path dir;

    @Test
    void logprobsOfSampledTokensMatchTheReferenceDistribution() throws Exception {
        CheckpointMaker.make("tiny", "fp32", 16, 0, false, 5, dir);
        try (Checkpoint ckpt = Checkpoint.open(dir);
             LanguageModel model = Engines.load(ckpt, "cpu", 1, KvPoolSize.DEFAULT);
             Tokenizer tokenizer = Tokenizer.load(ckpt.tokenizerJson(), ckpt.config().bosTokenId(), ckpt.config().eosTokenId())) {
            List<TokenLogprobs> got = new ArrayList<>();
            // temperature 1.5 with a repetition penalty: logprobs must still be the raw model's
            GenerationRequest request = new GenerationRequest("def fib(n):", 12, 1.5, 1, 0, 1.3, 7L, List.of(), true,
                    new LogprobsRequest(5, got::add));
            GenerationResult result = new Generator(model, tokenizer, 0).generate(request);

            assertThat(got).hasSize(result.outputTokens());
            assertThat(got.stream().map(TokenLogprobs::text).reduce("", String::concat)).isEqualTo(result.text());
            ReferenceLlama ref = new ReferenceLlama(ckpt.config(), new CheckpointWeights(ckpt));
            int[] seq = tokenizer.encode(request.prompt());
            for (TokenLogprobs t : got) {
                double[] expected = logSoftmax(ref.logits(seq));
                assertThat(t.logprob()).as("logprob at %d", seq.length).isCloseTo(expected[t.token()], within(1e-3));
                Integer[] order = IntStream.range(0, expected.length).boxed()
                        .sorted(Comparator.comparingDouble((Integer i) -> -expected[i])).toArray(Integer[]::new);
                assertThat(t.topTokens()).hasSize(5);
                for (int i = 0; i < 5; i++) {
                    assertThat(t.topLogprobs()[i]).as("top %d at %d", i, seq.length)
                            .isCloseTo(expected[order[i]], within(1e-3));
                }
                assertThat(t.topLogprobs()[0]).isGreaterThanOrEqualTo(t.logprob() - 1e-9);
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = t.token();
            }
        }
    }

    @Test
    void topListIsSortedAndTiesGoToTheLowerId() {
        float[] logits = {1f, 3f, 3f, -2f, 0.5f};
        TokenLogprobs t = TokenLogprobs.of(logits, 4, 3);
        assertThat(t.topTokens()).containsExactly(1, 2, 0);
        double logZ = Math.log(Math.exp(1) + 2 * Math.exp(3) + Math.exp(-2) + Math.exp(0.5));
        assertThat(t.logprob()).isCloseTo(0.5 - logZ, within(1e-6));
        assertThat(t.topLogprobs()).containsExactly(new double[] {3 - logZ, 3 - logZ, 1 - logZ}, within(1e-6));
        assertThat(TokenLogprobs.of(logits, 0, 0).topTokens()).isEmpty();
    }

    private static double[] logSoftmax(double[] x) {
        double max = Arrays.stream(x).max().orElseThrow();
        double logZ = max + Math.log(Arrays.stream(x).map(v -> Math.exp(v - max)).sum());
        return Arrays.stream(x).map(v -> v - logZ).toArray();
    }
}
