package dev.inferless.llm.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * Opens a Hugging Face checkpoint directory: config.json, generation_config.json, quantization
 * config and the safetensors files; then checks every Llama tensor's presence, type and shape, so a
 * broken checkpoint fails at open, naming the tensor, rather than halfway through loading.
 */
public final class CheckpointReader {

    public static final String[] PROJECTIONS = {
        "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"
    };

    private CheckpointReader() {}

    static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": checkpoint directory does not exist");
        }
        Path configFile = dir.resolve("config.json");
        if (!Files.exists(configFile)) {
            throw new IllegalArgumentException(dir + ": missing config.json");
        }
        JsonNode configJson = JsonFiles.read(configFile);
        LlamaConfig config = LlamaConfigReader.parse(configFile, configJson);
        GenerationConfig generation = LlamaConfigReader.readGeneration(dir.resolve("generation_config.json"));
        Quantization quantization = QuantizationConfigReader.read(dir, configFile, configJson);
        Path tokenizer = dir.resolve("tokenizer.json");
        TensorStore tensors = MappedTensorStore.open(dir);
        Checkpoint checkpoint = new Checkpoint(dir, config, generation, quantization, tensors,
                Files.exists(tokenizer) ? tokenizer : null);
        try {
            checkLlamaTensors(checkpoint);
        } catch (RuntimeException e) {
            tensors.close();
            throw e;
        }
        return checkpoint;
    }

    /** (in, out) of projection {@code name} (e.g. "mlp.down_proj") in a Llama layer. */
    public static int[] projectionShape(LlamaConfig c, String name) {
        int q = c.numHeads() * c.headDim();
        int kv = c.numKvHeads() * c.headDim();
        return switch (name) {
            case "self_attn.q_proj" -> new int[] {c.hiddenSize(), q};
            case "self_attn.k_proj", "self_attn.v_proj" -> new int[] {c.hiddenSize(), kv};
            case "self_attn.o_proj" -> new int[] {q, c.hiddenSize()};
            case "mlp.gate_proj", "mlp.up_proj" -> new int[] {c.hiddenSize(), c.intermediateSize()};
            case "mlp.down_proj" -> new int[] {c.intermediateSize(), c.hiddenSize()};
            default -> throw new IllegalArgumentException("not a Llama projection: " + name);
        };
    }

    private static void checkLlamaTensors(Checkpoint checkpoint) {
        LlamaConfig c = checkpoint.config();
        TensorStore t = checkpoint.tensors();
        long hidden = c.hiddenSize();
        expectFloat(t, "model.embed_tokens.weight", c.vocabSize(), hidden);
        expectFloat(t, "model.norm.weight", hidden);
        if (!c.tieWordEmbeddings()) {
            checkpoint.linear("lm_head", c.hiddenSize(), c.vocabSize());
        }
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String prefix = "model.layers." + layer + ".";
            expectFloat(t, prefix + "input_layernorm.weight", hidden);
            expectFloat(t, prefix + "post_attention_layernorm.weight", hidden);
            for (String projection : PROJECTIONS) {
                int[] shape = projectionShape(c, projection);
                checkpoint.linear(prefix + projection, shape[0], shape[1]);
            }
        }
    }

    static LinearWeight linear(Checkpoint checkpoint, String prefix, int in, int out) {
        TensorStore t = checkpoint.tensors();
        Set<String> names = t.names();
        TensorInfo bias = names.contains(prefix + ".bias") ? expectFloat(t, prefix + ".bias", out) : null;
        if (names.contains(prefix + ".weight")) {
            return new LinearWeight.Dense(in, out, expectFloat(t, prefix + ".weight", out, in), bias);
        }
        if (!names.contains(prefix + ".qweight")) {
            throw new IllegalArgumentException(checkpoint.dir() + ": missing tensor '" + prefix + ".weight' (or '"
                    + prefix + ".qweight' for a quantized projection)");
        }
        Quantization q = checkpoint.quantization();
        if (q instanceof Quantization.Gptq gptq) return gptq(t, prefix, in, out, gptq, bias);
        if (q instanceof Quantization.Awq awq) return awq(t, prefix, in, out, awq, bias);
        throw new IllegalArgumentException(checkpoint.dir() + ": tensor '" + prefix
                + ".qweight' is quantized but the checkpoint has no quantization config");
    }

    private static LinearWeight.Gptq gptq(TensorStore t, String prefix, int in, int out, Quantization.Gptq q,
                                          TensorInfo bias) {
        int perWord = 32 / q.bits();
        if (in % perWord != 0 || out % perWord != 0) {
            throw new IllegalArgumentException("'" + prefix + "': in " + in + " and out " + out
                    + " must be multiples of " + perWord + " for " + q.bits() + "-bit GPTQ packing");
        }
        int groups = gptqGroups(prefix, in, q.groupSize());
        TensorInfo qweight = expect(t, prefix + ".qweight", DType.I32, in / perWord, out);
        TensorInfo qzeros = expect(t, prefix + ".qzeros", DType.I32, groups, out / perWord);
        TensorInfo scales = expectScales(t, prefix + ".scales", groups, out);
        TensorInfo gIdx = null;
        if (t.names().contains(prefix + ".g_idx")) {
            gIdx = expect(t, prefix + ".g_idx", DType.I32, in);
        } else if (q.descAct()) {
            throw new IllegalArgumentException("missing tensor '" + prefix + ".g_idx' (desc_act is true)");
        }
        return new LinearWeight.Gptq(in, out, q, qweight, qzeros, scales, gIdx, bias);
    }

    /** ceil(K/G) groups; G must divide K or cover it whole (G = -1 or G >= K: one group). */
    public static int gptqGroups(String prefix, int in, int groupSize) {
        if (groupSize == -1 || groupSize >= in) return 1;
        if (in % groupSize != 0) {
            throw new IllegalArgumentException("'" + prefix + "': group_size " + groupSize
                    + " does not divide in_features " + in);
        }
        return in / groupSize;
    }

    private static LinearWeight.Awq awq(TensorStore t, String prefix, int in, int out, Quantization.Awq q,
                                        TensorInfo bias) {
        if (out % 8 != 0) {
            throw new IllegalArgumentException("'" + prefix + "': out " + out + " must be a multiple of 8 for AWQ");
        }
        if (in % q.groupSize() != 0) {
            throw new IllegalArgumentException("'" + prefix + "': group_size " + q.groupSize()
                    + " does not divide in_features " + in);
        }
        int groups = in / q.groupSize();
        return new LinearWeight.Awq(in, out, q,
                expect(t, prefix + ".qweight", DType.I32, in, out / 8),
                expect(t, prefix + ".qzeros", DType.I32, groups, out / 8),
                expectScales(t, prefix + ".scales", groups, out),
                bias);
    }

    private static TensorInfo expectFloat(TensorStore t, String name, long... shape) {
        TensorInfo info = t.info(name);
        if (info.dtype() != DType.F32 && info.dtype() != DType.F16 && info.dtype() != DType.BF16) {
            throw mismatch(info, "F32, F16 or BF16 " + Arrays.toString(shape));
        }
        if (!Arrays.equals(info.shape(), shape)) throw mismatch(info, info.dtype() + " " + Arrays.toString(shape));
        return info;
    }

    /** Scales: F16 as AutoGPTQ and AutoAWQ write them, or BF16 (some exporters); kept at that precision. */
    private static TensorInfo expectScales(TensorStore t, String name, long... shape) {
        TensorInfo info = t.info(name);
        if ((info.dtype() != DType.F16 && info.dtype() != DType.BF16) || !Arrays.equals(info.shape(), shape)) {
            throw mismatch(info, "F16 or BF16 " + Arrays.toString(shape));
        }
        return info;
    }

    private static TensorInfo expect(TensorStore t, String name, DType dtype, long... shape) {
        TensorInfo info = t.info(name);
        if (info.dtype() != dtype || !Arrays.equals(info.shape(), shape)) {
            throw mismatch(info, dtype + " " + Arrays.toString(shape));
        }
        return info;
    }

    private static IllegalArgumentException mismatch(TensorInfo info, String expected) {
        return new IllegalArgumentException(info.file() + ": tensor '" + info.name() + "' is " + info.dtype() + " "
                + Arrays.toString(info.shape()) + ", expected " + expected);
    }
}
