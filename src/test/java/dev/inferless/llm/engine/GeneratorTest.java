package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.synthetic.TokenizerJsonWriter;
import dev.inferless.api.CancellationToken;
import dev.inferless.llm.tokenizer.Tokenizer;
import dev.inferless.llm.tokenizer.WrittenTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {

    private static Tokenizer tok;

    @BeforeAll
    static void load(@TempDir Path dir) {
        tok = WrittenTokenizer.load(dir, ScriptedModel.VOCAB, ScriptedModel.EOS);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    /** The tokens of {@code text} as a continuation (no BOS; the leading space of the text kept). */
    private static int[] continuation(String text) {
        int[] ids = tok.encode(text);
        return Arrays.copyOfRange(ids, 1, ids.length);
    }

    private static GenerationRequest request(int maxTokens, List<String> stop, boolean ignoreEos) {
        return new GenerationRequest("def add(a, b):", maxTokens, 0, 1, 0, 1, null, stop, ignoreEos);
    }

    private record Run(GenerationResult result, List<String> pieces) {}

    private static Run run(ScriptedModel model, GenerationRequest request) {
        List<String> pieces = new ArrayList<>();
        GenerationResult result = new Generator(model, tok, 0).generate(request, CancellationToken.untimed(), pieces::add);
        assertThat(String.join("", pieces)).isEqualTo(result.text());
        assertThat(model.openSessions).as("sessions closed").isZero();
        return new Run(result, pieces);
    }

    @Test
    void greedyFollowsTheModelFeedsEachTokenBackAndStopsAtEos() {
        int[] script = continuation("    return a + b\n");
        ScriptedModel model = ScriptedModel.scripted(256, script);
        Run run = run(model, request(100, List.of(), false));

        assertThat(run.result().text()).isEqualTo(tok.decode(script));
        assertThat(run.result().finishReason()).isEqualTo(GenerationResult.STOP);
        assertThat(run.result().outputTokens()).isEqualTo(script.length + 1); // EOS counted
        assertThat(model.prefills).hasSize(1);
        assertThat(model.prefills.get(0)).isEqualTo(tok.encode("def add(a, b):"));
        assertThat(run.result().promptTokens()).isEqualTo(model.prefills.get(0).length);
        assertThat(model.decoded).containsExactly(Arrays.stream(script).boxed().toArray(Integer[]::new));
    }

    /** Tokens 100, 101 and 102 lead by 5.0, 4.5 and 4.2; every other token is far behind. */
    static float[] threeLeaders() {
        float[] logits = new float[ScriptedModel.VOCAB];
        Arrays.fill(logits, -5f);
        logits[100] = 5.0f;
        logits[101] = 4.5f;
        logits[102] = 4.2f;
        return logits;
    }

    /** Greedy over fixed logits with OpenAI's output penalties, step by step from their definition. */
    static int[] penalizedGreedy(float[] logits, double presence, double frequency, int steps) {
        int[] counts = new int[logits.length];
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < logits.length; t++) {
                double score = logits[t] - (counts[t] > 0 ? presence + frequency * counts[t] : 0);
                if (score > bestScore) {
                    best = t;
                    bestScore = score;
                }
            }
            out[i] = best;
            counts[best]++;
        }
        return out;
    }

    @Test
    void presenceAndFrequencyPenaltiesSteerGreedyAwayFromTheOutputsTokens() {
        int[] expected = penalizedGreedy(threeLeaders(), 0.1, 0.3, 12);
        assertThat(Arrays.stream(expected).distinct().count()).as("the penalties change the greedy choice").isEqualTo(3);
        ScriptedModel model = ScriptedModel.constantLogits(256, threeLeaders());
        GenerationRequest penalized = new GenerationRequest("def add(a, b):", 12,
                new dev.inferless.llm.sampling.SamplingParams(0, 0, 1, 1, 0.1, 0.3), null, List.of(), true, null, false);
        Run run = run(model, penalized);
        assertThat(run.result().outputTokens()).isEqualTo(12);
        // every token but the last is fed back
        assertThat(model.decoded).containsExactly(Arrays.stream(expected, 0, 11).boxed().toArray(Integer[]::new));
        assertThat(run.result().text()).isEqualTo(tok.decode(expected));

        ScriptedModel plain = ScriptedModel.constantLogits(256, threeLeaders());
        run(plain, new GenerationRequest("def add(a, b):", 12, 0, 1, 0, 1, null, List.of(), true));
        assertThat(plain.decoded).containsOnly(100);
    }

    @Test
    void logitBiasBansAndPromotesTokensAndAnIdOutsideTheVocabularyIsABadInput() {
        ScriptedModel model = ScriptedModel.constantLogits(256, threeLeaders());
        GenerationRequest banned = new GenerationRequest("def add(a, b):", 4,
                new dev.inferless.llm.sampling.SamplingParams(0, 0, 1, 1, 0, 0, java.util.Map.of(100, -100.0, 102, 0.4)),
                null, List.of(), true, null, false);
        run(model, banned);
        assertThat(model.decoded).containsOnly(102); // 4.2 + 0.4 > 4.5; 100 banned

        GenerationRequest outside = new GenerationRequest("def add(a, b):", 4,
                new dev.inferless.llm.sampling.SamplingParams(0, 0, 1, 1, 0, 0, java.util.Map.of(ScriptedModel.VOCAB, 1.0)),
                null, List.of(), true, null, false);
        ScriptedModel untouched = ScriptedModel.constantLogits(256, threeLeaders());
        assertThatThrownBy(() -> new Generator(untouched, tok, 0).generate(outside, CancellationToken.untimed(), p -> {}))
                .isInstanceOf(dev.inferless.api.BadInputException.class).hasMessageContaining("logit_bias");
        assertThat(untouched.prefills).isEmpty();
    }

    @Test
    void aPromptOfTokenIdsRunsAsGivenAndAnIdOutsideTheVocabularyIsABadInput() {
        int[] script = continuation(" x y");
        ScriptedModel model = ScriptedModel.scripted(256, script);
        GenerationRequest ids = new GenerationRequest("", 10, dev.inferless.llm.sampling.SamplingParams.GREEDY, null,
                List.of(), false, null, false, List.of(7, 8, 9));
        Run run = run(model, ids);
        assertThat(model.prefills).containsExactly(new int[] {7, 8, 9}); // no BOS added
        assertThat(run.result().promptTokens()).isEqualTo(3);
        assertThat(run.result().text()).isEqualTo(tok.decode(script));

        for (List<Integer> bad : List.of(List.of(1, ScriptedModel.VOCAB), List.<Integer>of())) {
            ScriptedModel untouched = ScriptedModel.scripted(256, script);
            GenerationRequest r = new GenerationRequest("", 10, dev.inferless.llm.sampling.SamplingParams.GREEDY, null,
                    List.of(), false, null, false, bad);
            assertThatThrownBy(() -> new Generator(untouched, tok, 0).generate(r, CancellationToken.untimed(), p -> {}))
                    .isInstanceOf(dev.inferless.api.BadInputException.class).hasMessageContaining("prompt_token_ids");
            assertThat(untouched.prefills).isEmpty();
        }
    }

    @Test
    void maxTokensEndsWithLengthAndIgnoreEosGoesPastEos() {
        int[] script = continuation(" x y z");
        Run limited = run(ScriptedModel.scripted(256, script), request(2, List.of(), false));
        assertThat(limited.result().finishReason()).isEqualTo(GenerationResult.LENGTH);
        assertThat(limited.result().outputTokens()).isEqualTo(2);
        assertThat(limited.result().text()).isEqualTo(tok.decode(Arrays.copyOf(script, 2)));

        Run pastEos = run(ScriptedModel.scripted(256, script), request(script.length + 3, List.of(), true));
        assertThat(pastEos.result().finishReason()).isEqualTo(GenerationResult.LENGTH);
        assertThat(pastEos.result().outputTokens()).isEqualTo(script.length + 3);
        assertThat(pastEos.result().text()).isEqualTo(tok.decode(script)); // EOS has no text
    }

    @Test
    void stopSequenceAcrossTokenBoundariesIsCutWithEverythingAfterIt() {
        String code = "    return a + b\n\ndef main():\n    pass\n";
        int[] script = continuation(code);
        Run run = run(ScriptedModel.scripted(256, script), request(100, List.of("\ndef", "XYZ"), false));
        assertThat(run.result().text()).isEqualTo("    return a + b\n");
        assertThat(run.result().finishReason()).isEqualTo(GenerationResult.STOP);
        assertThat(run.pieces()).noneMatch(p -> p.contains("def"));
        assertThat(run.result().outputTokens()).isLessThan(script.length);
    }

    @Test
    void textThatCouldStartAStopSequenceIsHeldBackThenReleased() {
        // One character per token: "a", "S", "T", "x", "S", "T", "O", "P", "b"
        var pieces = TokenizerJsonWriter.buildVocabulary(ScriptedModel.VOCAB).ids();
        int[] script = "aSTxSTOPb".chars().map(c -> pieces.get(String.valueOf((char) c))).toArray();
        Run run = run(ScriptedModel.scripted(256, script), request(100, List.of("STOP"), false));
        assertThat(run.result().text()).isEqualTo("aSTx");
        assertThat(run.pieces()).containsExactly("a", "STx");
    }

    @Test
    void multiByteCharactersSplitOverByteTokensStreamWhole() {
        String text = " caf\u00e9 \u4e2d\u6587 \uD83D\uDE00!";
        int[] script = continuation(text);
        assertThat(Arrays.stream(script).filter(tok::isByteToken).count()).isGreaterThanOrEqualTo(9);
        Run run = run(ScriptedModel.scripted(256, script), request(100, List.of(), false));
        assertThat(run.result().text()).isEqualTo(text);
        assertThat(run.pieces()).allSatisfy(p -> assertThat(p).doesNotContain("\uFFFD"));
    }

    @Test
    void stopSequenceMadeOfMultiByteCharacters() {
        String text = " x \u4e2d\u6587 y";
        Run run = run(ScriptedModel.scripted(256, continuation(text)), request(100, List.of("\u6587"), false));
        assertThat(run.result().text()).isEqualTo(" x \u4e2d");
    }

    @Test
    void promptLongerThanTheContextIsAClientErrorAndMaxTokensIsClipped() {
        int promptTokens = tok.encode("def add(a, b):").length;
        ScriptedModel tight = ScriptedModel.scripted(promptTokens, continuation(" x"));
        assertThatThrownBy(() -> new Generator(tight, tok, 0).generate(request(10, List.of(), false)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prompt has " + promptTokens + " tokens; the context window is " + promptTokens);

        ScriptedModel roomy = ScriptedModel.scripted(1000, continuation(" x"));
        assertThatThrownBy(() -> new Generator(roomy, tok, promptTokens).generate(request(10, List.of(), false)))
                .hasMessageContaining("context window is " + promptTokens);

        ScriptedModel clipped = ScriptedModel.scripted(promptTokens + 3, continuation(" a b c d e f g h"));
        Run run = run(clipped, request(500, List.of(), true));
        assertThat(run.result().outputTokens()).isEqualTo(3);
        assertThat(run.result().finishReason()).isEqualTo(GenerationResult.LENGTH);
        assertThat(clipped.sessionSizes).containsExactly(promptTokens + 3);
    }

    @Test
    void cancellationEndsGenerationBeforeTheNextToken() {
        ScriptedModel model = ScriptedModel.scripted(256, continuation(" a b c d e f g h i j"));
        AtomicInteger pieces = new AtomicInteger();
        CancellationToken cancel = CancellationToken.untimed();
        GenerationResult result = new Generator(model, tok, 0).generate(request(100, List.of(), false), cancel, p -> {
            if (pieces.incrementAndGet() == 3) cancel.cancel(CancellationToken.Reason.CLIENT_GONE);
        });
        assertThat(result.finishReason()).isEqualTo(GenerationResult.CANCELLED);
        assertThat(result.outputTokens()).isEqualTo(3);
        assertThat(model.openSessions).isZero();
    }

    @Test
    void sameSeedSameTextAndTimingsAreReported() {
        GenerationRequest sampled = new GenerationRequest("def f():", 30, 0.8, 0.95, 50, 1.1, 7L, List.of(), true);
        GenerationResult a = run(ScriptedModel.randomLogits(256, 3), sampled).result();
        GenerationResult b = run(ScriptedModel.randomLogits(256, 3), sampled).result();
        GenerationResult c = run(ScriptedModel.randomLogits(256, 3),
                new GenerationRequest("def f():", 30, 0.8, 0.95, 50, 1.1, 8L, List.of(), true)).result();
        assertThat(a.text()).isEqualTo(b.text()).isNotEqualTo(c.text());
        assertThat(a.outputTokens()).isEqualTo(30);
        assertThat(a.timeToFirstTokenMs()).isPositive();
        assertThat(a.decodeTokensPerSecond()).isPositive();
    }

    @Test
    void anEmptyPromptStartsFromBos() {
        ScriptedModel model = ScriptedModel.scripted(256, continuation(" x"));
        run(model, new GenerationRequest("", 5, 0, 1, 0, 1, null, List.of(), false));
        assertThat(model.prefills.get(0)).containsExactly(1);
    }

    @Test
    void badRequestsNameTheField() {
        assertThatThrownBy(() -> request(0, List.of(), false)).hasMessageContaining("max_tokens");
        assertThatThrownBy(() -> request(5, List.of(""), false)).hasMessageContaining("stop");
        assertThatThrownBy(() -> new GenerationRequest("p", 5, 1, 2, 0, 1, null, null, false)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> new Generator(ScriptedModel.scripted(100), tok, 101)).hasMessageContaining("max_context");
    }
}
