package dev.inferless.llm.model;

import static dev.inferless.llm.model.LlamaModelTest.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.reference.ReferenceLlama;
import dev.inferless.llm.reference.TinyLlama;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The batched decode step against the double-precision reference: sequences of different lengths
 * step together, join late and leave early, and each one's logits stay those of the sequence alone.
 * Tolerance as in {@link LlamaModelTest}: relative L2 error <= 1e-4.
 */
class BatchedDecodeTest {

    @Test
    void sequencesOfDifferentLengthsSteppedTogetherMatchTheReferenceOneByOne() {
        LlamaConfig cfg = TinyLlama.config(1.0, false);
        Function<String, float[]> w = TinyLlama.weights(cfg, 31);
        ReferenceLlama ref = new ReferenceLlama(cfg, w);
        Random rnd = new Random(31);
        int[] promptLengths = {1, 6, 13, 4};
        int steps = 6;
        try (LlamaModel model = LlamaModel.fromWeights(cfg, w, "cpu", "auto")) {
            List<int[]> seqs = new ArrayList<>();
            List<DecodeSession> sessions = new ArrayList<>();
            try {
                for (int len : promptLengths) {
                    int[] seq = TinyLlama.randomTokens(rnd, len + steps, cfg.vocabSize());
                    seqs.add(seq);
                    DecodeSession s = model.newSession(64);
                    sessions.add(s);
                    s.prefill(Arrays.copyOf(seq, len));
                }
                for (int step = 0; step < steps; step++) {
                    // The last sequence joins at step 2 (its prefill then), the first leaves after step 3.
                    List<Integer> members = new ArrayList<>();
                    for (int i = 0; i < seqs.size(); i++) {
                        if (!(i == 3 && step < 2) && !(i == 0 && step > 3)) members.add(i);
                    }
                    List<DecodeSession> batch = new ArrayList<>();
                    int[] tokens = new int[members.size()];
                    for (int j = 0; j < members.size(); j++) {
                        int i = members.get(j);
                        batch.add(sessions.get(i));
                        tokens[j] = seqs.get(i)[sessions.get(i).position()];
                    }
                    float[][] logits = model.decodeBatch(batch, tokens);
                    for (int j = 0; j < members.size(); j++) {
                        int i = members.get(j);
                        int position = sessions.get(i).position();
                        assertClose(logits[j], ref.logits(Arrays.copyOf(seqs.get(i), position)),
                                "sequence " + i + " at position " + position);
                    }
                }
                assertThat(sessions.get(1).position()).isEqualTo(promptLengths[1] + steps);
                assertThat(sessions.get(3).position()).isEqualTo(promptLengths[3] + steps - 2);
            } finally {
                sessions.forEach(DecodeSession::close);
            }
        }
    }

    @Test
    void aPromptAppendedInChunksGivesTheLogitsOfTheWholePromptThenDecodesOn() {
        LlamaConfig cfg = TinyLlama.config(2.0, false);
        Function<String, float[]> w = TinyLlama.weights(cfg, 33);
        ReferenceLlama ref = new ReferenceLlama(cfg, w);
        int[] seq = TinyLlama.randomTokens(new Random(33), 20, cfg.vocabSize());
        try (LlamaModel model = LlamaModel.fromWeights(cfg, w, "cpu", "auto");
             DecodeSession s = model.newSession(32)) {
            s.append(Arrays.copyOfRange(seq, 0, 5));
            s.append(Arrays.copyOfRange(seq, 5, 6));
            float[] logits = s.append(Arrays.copyOfRange(seq, 6, 17));
            assertClose(logits, ref.logits(Arrays.copyOf(seq, 17)), "after three chunks");
            assertThat(s.position()).isEqualTo(17);
            float[][] next = model.decodeBatch(List.of(s), new int[] {seq[17]});
            assertClose(next[0], ref.logits(Arrays.copyOf(seq, 18)), "a decode step after the chunks");
            assertThatThrownBy(() -> s.append(new int[20])).hasMessageContaining("context overflow");
        }
    }

    @Test
    void aBadBatchIsRefusedBeforeAnyCacheMoves() {
        LlamaConfig cfg = TinyLlama.config();
        try (LlamaModel model = LlamaModel.fromWeights(cfg, TinyLlama.weights(cfg, 32), "cpu", "auto");
             DecodeSession a = model.newSession(8);
             DecodeSession b = model.newSession(8)) {
            a.prefill(new int[] {1, 2});
            assertThatThrownBy(() -> model.decodeBatch(List.of(a, b), new int[] {3, 4}))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("prefill");
            assertThatThrownBy(() -> model.decodeBatch(List.of(a, a), new int[] {3, 4}))
                    .hasMessageContaining("twice");
            assertThatThrownBy(() -> model.decodeBatch(List.of(a), new int[] {cfg.vocabSize()}))
                    .hasMessageContaining("vocabulary");
            assertThat(a.position()).isEqualTo(2);
        }
    }
}
