package dev.inferless.llm.reference;

import dev.inferless.llm.checkpoint.LlamaConfig;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/** Tiny Llama shapes and seeded random dense weights by their checkpoint names, for tests. */
public final class TinyLlama {

    private TinyLlama() {}

    /** vocab 512, hidden 64, intermediate 192, 2 layers, 4 heads, 2 KV heads, head dim 16. */
    public static LlamaConfig config(double ropeScalingFactor, boolean tied) {
        return new LlamaConfig(64, 192, 2, 4, 2, 16, 512, 256, 1e-5, 10000.0, ropeScalingFactor, tied, 1, 2);
    }

    public static LlamaConfig config() {
        return config(1.0, false);
    }

    /**
     * Random weights scaled like a trained model's activations (projections ~ 1/sqrt(in), norms
     * around 1), so that attention and logits are neither flat nor saturated.
     */
    public static Function<String, float[]> weights(LlamaConfig cfg, long seed) {
        Map<String, float[]> w = new HashMap<>();
        Random rnd = new Random(seed);
        int h = cfg.hiddenSize();
        int q = cfg.numHeads() * cfg.headDim();
        int kv = cfg.numKvHeads() * cfg.headDim();
        int ff = cfg.intermediateSize();
        w.put("model.embed_tokens.weight", gaussian(rnd, cfg.vocabSize() * h, 1.0));
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "input_layernorm.weight", aroundOne(rnd, h));
            w.put(p + "self_attn.q_proj.weight", gaussian(rnd, q * h, 2.0 / Math.sqrt(h)));
            w.put(p + "self_attn.k_proj.weight", gaussian(rnd, kv * h, 2.0 / Math.sqrt(h)));
            w.put(p + "self_attn.v_proj.weight", gaussian(rnd, kv * h, 1.0 / Math.sqrt(h)));
            w.put(p + "self_attn.o_proj.weight", gaussian(rnd, h * q, 1.0 / Math.sqrt(q)));
            w.put(p + "post_attention_layernorm.weight", aroundOne(rnd, h));
            w.put(p + "mlp.gate_proj.weight", gaussian(rnd, ff * h, 1.0 / Math.sqrt(h)));
            w.put(p + "mlp.up_proj.weight", gaussian(rnd, ff * h, 1.0 / Math.sqrt(h)));
            w.put(p + "mlp.down_proj.weight", gaussian(rnd, h * ff, 1.0 / Math.sqrt(ff)));
        }
        w.put("model.norm.weight", aroundOne(rnd, h));
        if (!cfg.tieWordEmbeddings()) {
            w.put("lm_head.weight", gaussian(rnd, cfg.vocabSize() * h, 1.0 / Math.sqrt(h)));
        }
        return w::get;
    }

    public static int[] randomTokens(Random rnd, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rnd.nextInt(vocab);
        }
        return t;
    }

    private static float[] gaussian(Random rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * std);
        }
        return a;
    }

    private static float[] aroundOne(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (1 + 0.2 * rnd.nextGaussian());
        }
        return a;
    }
}
