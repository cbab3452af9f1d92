package dev.inferless.llm.model;

import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.Dequantize;
import dev.inferless.llm.checkpoint.LinearWeight;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.checkpoint.TensorInfo;

import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A checkpoint's weights as dense floats by checkpoint name, the form both {@link LlamaModel#fromWeights}
 * and the reference take: a projection's {@code .weight} name yields its dequantized [out][in] matrix
 * whatever its stored format; any other name is read as a dense F32/F16/BF16 tensor.
 */
public final class CheckpointWeights implements Function<String, float[]> {

    private static final Pattern PROJECTION =
            Pattern.compile("(.*\\.(?:self_attn|mlp)\\.(q|k|v|o|gate|up|down)_proj)\\.weight");

    private final Checkpoint ckpt;

    public CheckpointWeights(Checkpoint ckpt) {
        this.ckpt = ckpt;
    }

    @Override
    public float[] apply(String name) {
        Matcher m = PROJECTION.matcher(name);
        if (m.matches()) {
            return projection(m.group(1), m.group(2));
        }
        return Dequantize.dense(ckpt.tensors(), ckpt.tensors().info(name));
    }

    private float[] projection(String prefix, String kind) {
        LlamaConfig c = ckpt.config();
        int h = c.hiddenSize();
        int q = c.numHeads() * c.headDim();
        int kv = c.numKvHeads() * c.headDim();
        int ff = c.intermediateSize();
        LinearWeight w;
        switch (kind) {
            case "q": w = ckpt.linear(prefix, h, q); break;
            case "k":
            case "v": w = ckpt.linear(prefix, h, kv); break;
            case "o": w = ckpt.linear(prefix, q, h); break;
            case "gate":
            case "up": w = ckpt.linear(prefix, h, ff); break;
            case "down": w = ckpt.linear(prefix, ff, h); break;
            default: throw new IllegalArgumentException("unknown projection " + prefix);
        }
        if (bias(w) != null) {
            throw new IllegalArgumentException("projection " + prefix + " has a bias (" + bias(w).name()
                    + "); Llama projections have none and this engine does not apply one");
        }
        return Dequantize.toFloat(ckpt.tensors(), w);
    }

    private static TensorInfo bias(LinearWeight w) {
        if (w instanceof LinearWeight.Dense d) {
            return d.bias();
        } else if (w instanceof LinearWeight.Gptq g) {
            return g.bias();
        } else if (w instanceof LinearWeight.Awq a) {
            return a.bias();
        }
        throw new IllegalArgumentException("unknown linear weight form " + w.getClass().getSimpleName());
    }
}
