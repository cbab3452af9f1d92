package dev.inferless.llm.reference;

import dev.inferless.llm.checkpoint.LlamaConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The Llama forward pass written as plainly as possible, in double precision, without DJL: the truth
 * the engine is tested against. No KV cache: every call recomputes the whole sequence.
 *
 * <p>Conventions follow Hugging Face's LlamaForCausalLM: RMSNorm {@code x / sqrt(mean(x^2) + eps) * w};
 * RoPE with rotate_half (dimension i pairs with i + headDim/2), {@code inv_freq_i = theta^(-2i/headDim)},
 * linear scaling divides the position by the factor; query head h reads KV head {@code h / (heads / kvHeads)};
 * MLP {@code down(silu(gate(x)) * up(x))}. Weights are dense, named as in the checkpoint, projections
 * stored [out][in] row-major.
 */
public final class ReferenceLlama {

    private final LlamaConfig cfg;
    private final Map<String, float[]> weights = new HashMap<>();

    public ReferenceLlama(LlamaConfig cfg, Function<String, float[]> weights) {
        this.cfg = cfg;
        int h = cfg.hiddenSize();
        int q = cfg.numHeads() * cfg.headDim();
        int kv = cfg.numKvHeads() * cfg.headDim();
        int ff = cfg.intermediateSize();
        fetch(weights, "model.embed_tokens.weight", (long) cfg.vocabSize() * h);
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            fetch(weights, p + "input_layernorm.weight", h);
            fetch(weights, p + "self_attn.q_proj.weight", (long) q * h);
            fetch(weights, p + "self_attn.k_proj.weight", (long) kv * h);
            fetch(weights, p + "self_attn.v_proj.weight", (long) kv * h);
            fetch(weights, p + "self_attn.o_proj.weight", (long) h * q);
            fetch(weights, p + "post_attention_layernorm.weight", h);
            fetch(weights, p + "mlp.gate_proj.weight", (long) ff * h);
            fetch(weights, p + "mlp.up_proj.weight", (long) ff * h);
            fetch(weights, p + "mlp.down_proj.weight", (long) h * ff);
        }
        fetch(weights, "model.norm.weight", h);
        if (!cfg.tieWordEmbeddings()) {
            fetch(weights, "lm_head.weight", (long) cfg.vocabSize() * h);
        }
    }

    private void fetch(Function<String, float[]> source, String name, long expectedLength) {
        float[] w = source.apply(name);
        if (w == null) {
            throw new IllegalArgumentException("missing weight " + name);
        }
        if (w.length != expectedLength) {
            throw new IllegalArgumentException(
                    "weight " + name + " has " + w.length + " elements, expected " + expectedLength);
        }
        weights.put(name, w);
    }

    /** Logits of the last position of {@code tokens}. */
    public double[] logits(int[] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("tokens must not be empty");
        }
        int h = cfg.hiddenSize();
        double[][] x = new double[tokens.length][];
        float[] emb = weights.get("model.embed_tokens.weight");
        for (int t = 0; t < tokens.length; t++) {
            if (tokens[t] < 0 || tokens[t] >= cfg.vocabSize()) {
                throw new IllegalArgumentException("token " + tokens[t] + " outside vocabulary of " + cfg.vocabSize());
            }
            x[t] = row(emb, tokens[t], h);
        }
        for (int l = 0; l < cfg.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] attn = attention(p, rmsNormAll(x, weights.get(p + "input_layernorm.weight")));
            addInPlace(x, attn);
            double[][] mlp = mlp(p, rmsNormAll(x, weights.get(p + "post_attention_layernorm.weight")));
            addInPlace(x, mlp);
        }
        double[] last = rmsNorm(x[tokens.length - 1], weights.get("model.norm.weight"), cfg.rmsNormEps());
        String head = cfg.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight";
        return linear(weights.get(head), last, cfg.vocabSize());
    }

    private double[][] attention(String p, double[][] x) {
        int n = x.length;
        int heads = cfg.numHeads();
        int kvHeads = cfg.numKvHeads();
        int d = cfg.headDim();
        int group = heads / kvHeads;
        double[][] q = new double[n][];
        double[][] k = new double[n][];
        double[][] v = new double[n][];
        for (int t = 0; t < n; t++) {
            q[t] = linear(weights.get(p + "self_attn.q_proj.weight"), x[t], heads * d);
            k[t] = linear(weights.get(p + "self_attn.k_proj.weight"), x[t], kvHeads * d);
            v[t] = linear(weights.get(p + "self_attn.v_proj.weight"), x[t], kvHeads * d);
            for (int hd = 0; hd < heads; hd++) {
                rope(q[t], hd * d, d, t, cfg.ropeTheta(), cfg.ropeScalingFactor());
            }
            for (int hd = 0; hd < kvHeads; hd++) {
                rope(k[t], hd * d, d, t, cfg.ropeTheta(), cfg.ropeScalingFactor());
            }
        }
        double scale = 1.0 / Math.sqrt(d);
        double[][] out = new double[n][];
        for (int t = 0; t < n; t++) {
            double[] o = new double[heads * d];
            for (int hd = 0; hd < heads; hd++) {
                int kvh = hd / group;
                double[] scores = new double[t + 1];
                for (int s = 0; s <= t; s++) {
                    double dot = 0;
                    for (int i = 0; i < d; i++) {
                        dot += q[t][hd * d + i] * k[s][kvh * d + i];
                    }
                    scores[s] = dot * scale;
                }
                double[] probs = softmax(scores);
                for (int s = 0; s <= t; s++) {
                    for (int i = 0; i < d; i++) {
                        o[hd * d + i] += probs[s] * v[s][kvh * d + i];
                    }
                }
            }
            out[t] = linear(weights.get(p + "self_attn.o_proj.weight"), o, cfg.hiddenSize());
        }
        return out;
    }

    private double[][] mlp(String p, double[][] x) {
        int ff = cfg.intermediateSize();
        double[][] out = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double[] gate = linear(weights.get(p + "mlp.gate_proj.weight"), x[t], ff);
            double[] up = linear(weights.get(p + "mlp.up_proj.weight"), x[t], ff);
            double[] act = new double[ff];
            for (int i = 0; i < ff; i++) {
                act[i] = silu(gate[i]) * up[i];
            }
            out[t] = linear(weights.get(p + "mlp.down_proj.weight"), act, cfg.hiddenSize());
        }
        return out;
    }

    private double[][] rmsNormAll(double[][] x, float[] w) {
        double[][] out = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            out[t] = rmsNorm(x[t], w, cfg.rmsNormEps());
        }
        return out;
    }

    public static double[] rmsNorm(double[] x, float[] w, double eps) {
        double sumSq = 0;
        for (double v : x) {
            sumSq += v * v;
        }
        double inv = 1.0 / Math.sqrt(sumSq / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * w[i];
        }
        return out;
    }

    /** Rotates x[off, off + d) in place for {@code position}: dimension i pairs with i + d/2. */
    public static void rope(double[] x, int off, int d, int position, double theta, double scalingFactor) {
        int half = d / 2;
        double pos = position / scalingFactor;
        for (int i = 0; i < half; i++) {
            double angle = pos * Math.pow(theta, -2.0 * i / d);
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double a = x[off + i];
            double b = x[off + i + half];
            x[off + i] = a * cos - b * sin;
            x[off + i + half] = b * cos + a * sin;
        }
    }

    public static double silu(double x) {
        return x / (1 + Math.exp(-x));
    }

    public static double[] softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.exp(x[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < x.length; i++) {
            out[i] /= sum;
        }
        return out;
    }

    /** y = W x with W [out][in] row-major. */
    static double[] linear(float[] w, double[] x, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double acc = 0;
            int base = o * in;
            for (int i = 0; i < in; i++) {
                acc += w[base + i] * x[i];
            }
            y[o] = acc;
        }
        return y;
    }

    private static double[] row(float[] matrix, int r, int width) {
        double[] out = new double[width];
        for (int i = 0; i < width; i++) {
            out[i] = matrix[r * width + i];
        }
        return out;
    }

    private static void addInPlace(double[][] x, double[][] delta) {
        for (int t = 0; t < x.length; t++) {
            for (int i = 0; i < x[t].length; i++) {
                x[t][i] += delta[t][i];
            }
        }
    }
}
