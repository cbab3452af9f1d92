package dev.inferless.llm.engine;

import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A fake model for generation tests: its logits make {@code script[i]} the argmax at output step i,
 * then EOS; or, with a seed, random logits that depend only on the position; or the same logits at
 * every step. Records what it was fed.
 */
final class ScriptedModel implements LanguageModel {

    static final int VOCAB = 512;
    static final int EOS = 2;

    private final LlamaConfig config;
    private final int[] script;
    private final Long randomLogitsSeed;
    private float[] constant;
    final List<int[]> prefills = new ArrayList<>();
    final List<Integer> decoded = new ArrayList<>();
    final List<Integer> sessionSizes = new ArrayList<>();
    int openSessions;

    private ScriptedModel(int maxPositions, int[] script, Long randomLogitsSeed) {
        this.config = new LlamaConfig(8, 16, 1, 2, 2, 4, VOCAB, maxPositions, 1e-5, 1e6, 1, false, 1, EOS);
        this.script = script;
        this.randomLogitsSeed = randomLogitsSeed;
    }

    static ScriptedModel scripted(int maxPositions, int... script) {
        return new ScriptedModel(maxPositions, script, null);
    }

    static ScriptedModel randomLogits(int maxPositions, long seed) {
        return new ScriptedModel(maxPositions, new int[0], seed);
    }

    /** {@code logits} (VOCAB of them) at every step, whatever was fed. */
    static ScriptedModel constantLogits(int maxPositions, float[] logits) {
        ScriptedModel model = new ScriptedModel(maxPositions, new int[0], null);
        model.constant = logits.clone();
        return model;
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public String device() {
        return "cpu";
    }

    @Override
    public DecodeSession newSession(int maxTokens) {
        sessionSizes.add(maxTokens);
        openSessions++;
        return new DecodeSession() {
            int position;
            int step;

            @Override
            public float[] prefill(int[] tokens) {
                prefills.add(tokens.clone());
                position = tokens.length;
                return logits(step++);
            }

            @Override
            public float[] decode(int token) {
                decoded.add(token);
                if (++position > maxTokens) throw new IllegalStateException("KV cache of " + maxTokens + " overflowed");
                return logits(step++);
            }

            @Override
            public int position() {
                return position;
            }

            @Override
            public void close() {
                openSessions--;
            }
        };
    }

    private float[] logits(int step) {
        if (constant != null) return constant.clone();
        float[] logits = new float[VOCAB];
        if (randomLogitsSeed != null) {
            Random random = new Random(randomLogitsSeed * 31 + step);
            for (int i = 0; i < VOCAB; i++) logits[i] = (float) random.nextGaussian();
            return logits;
        }
        Arrays.fill(logits, -5f);
        logits[step < script.length ? script[step] : EOS] = 5f;
        return logits;
    }

    @Override
    public void close() {}
}
