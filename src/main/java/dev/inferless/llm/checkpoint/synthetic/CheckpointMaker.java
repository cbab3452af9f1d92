package dev.inferless.llm.checkpoint.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.inferless.llm.checkpoint.CheckpointReader;
import dev.inferless.llm.checkpoint.DType;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.checkpoint.Quantization;
import dev.inferless.llm.checkpoint.QuantizationConfigReader;
import dev.inferless.llm.checkpoint.synthetic.TokenizerJsonWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Writes a random Llama checkpoint in the Hugging Face layout: config.json, generation_config.json,
 * safetensors (sharded with an index when large), the quantization config and tokenizer.json.
 * Projections are quantized by our round-to-nearest packers into real GPTQ or AWQ tensors. One
 * weight at a time is made (in parallel) while the previous one is written, so memory stays at a
 * few matrices even for the 34B shape.
 */
public final class CheckpointMaker {

    /** What to make; {@code sym} and {@code v2} apply to GPTQ only. */
    public record Options(String shape, String format, int bits, int groupSize, boolean actOrder,
                          boolean sym, boolean v2, long seed, long maxShardBytes) {}

    /** One weight's tensors: their declarations, and how to make their bytes. */
    private record Planned(List<SafetensorsWriter.Entry> entries, Supplier<List<ByteBuffer>> data) {}

    private static final System.Logger LOG = System.getLogger(CheckpointMaker.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Progress lines only for checkpoints that take a while to write. */
    private static final long PROGRESS_ABOVE_BYTES = 1L << 30;

    private CheckpointMaker() {}

    /** GPTQ is made symmetric in the original (v1) format, like TheBloke's checkpoints. */
    public static void make(String shape, String format, int bits, int groupSize, boolean actOrder, long seed,
                            Path outDir) {
        make(shape, format, bits, groupSize, actOrder, true, false, seed, outDir);
    }

    public static void make(String shape, String format, int bits, int groupSize, boolean actOrder,
                            boolean sym, boolean v2, long seed, Path outDir) {
        make(new Options(shape, format, bits, groupSize, actOrder, sym, v2, seed,
                ShardedSafetensorsWriter.DEFAULT_SHARD_BYTES), outDir);
    }

    static void make(Options o, Path outDir) {
        long start = System.nanoTime();
        LlamaConfig config = ModelShapes.config(o.shape());
        Quantization quantization = quantization(o, config);
        writeMetadata(o, config, quantization, outDir);
        writeTensors(outDir, plan(config, quantization, denseType(o.format()), o.seed()), o.maxShardBytes());
        LOG.log(Level.INFO, "made {0} {1} checkpoint in {2} ({3} ms)", o.shape(), o.format(), outDir,
                (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * The files {@link #make} writes, without making the weights: the metadata as made, the
     * safetensors at full size but sparse (headers and index; the tensors' bytes read as zeros). For
     * checking a loader, or the disk a shape needs, at the 34B shape in a second.
     */
    public static void makeLayout(Options o, Path outDir) {
        LlamaConfig config = ModelShapes.config(o.shape());
        Quantization quantization = quantization(o, config);
        writeMetadata(o, config, quantization, outDir);
        List<SafetensorsWriter.Entry> entries = plan(config, quantization, denseType(o.format()), o.seed()).stream()
                .flatMap(p -> p.entries().stream()).toList();
        ShardedSafetensorsWriter.writeLayout(outDir, entries, o.maxShardBytes());
    }

    private static void writeMetadata(Options o, LlamaConfig config, Quantization quantization, Path outDir) {
        try {
            Files.createDirectories(outDir);
            writeJson(outDir.resolve("config.json"), configJson(config, o, quantization));
            writeJson(outDir.resolve("generation_config.json"), generationJson(config));
            if (quantization instanceof Quantization.Gptq g) {
                writeJson(outDir.resolve(QuantizationConfigReader.GPTQ_FILE), gptqJson(g));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(outDir + ": cannot write checkpoint", e);
        }
        writeTokenizer(outDir.resolve("tokenizer.json"), config.vocabSize());
    }

    private static Quantization quantization(Options o, LlamaConfig config) {
        Quantization q = switch (o.format()) {
            case "fp32", "fp16", "bf16" -> new Quantization.None();
            case "gptq" -> new Quantization.Gptq(o.bits(), o.groupSize(), o.actOrder(), o.sym(), o.v2());
            case "awq" -> new Quantization.Awq(o.bits(), o.groupSize(), true);
            default -> throw new IllegalArgumentException("format " + o.format()
                    + " is not supported (fp32, fp16, bf16, gptq or awq)");
        };
        if (q instanceof Quantization.Gptq g) {
            if (g.bits() != 4 && g.bits() != 8) {
                throw new IllegalArgumentException("bits " + g.bits() + " is not supported for gptq (4 or 8)");
            }
            if (g.groupSize() != -1 && g.groupSize() <= 0) {
                throw new IllegalArgumentException("group size " + g.groupSize() + " is not supported (-1 or > 0)");
            }
        }
        if (q instanceof Quantization.Awq a && a.bits() != 4) {
            throw new IllegalArgumentException("bits " + a.bits() + " is not supported for awq (4)");
        }
        if (o.actOrder() && !(q instanceof Quantization.Gptq)) {
            throw new IllegalArgumentException("act-order applies to gptq only, not " + o.format());
        }
        for (String projection : CheckpointReader.PROJECTIONS) {
            int in = CheckpointReader.projectionShape(config, projection)[0];
            if (q instanceof Quantization.Gptq g) CheckpointReader.gptqGroups(projection, in, g.groupSize());
            if (q instanceof Quantization.Awq a && in % a.groupSize() != 0) {
                throw new IllegalArgumentException("group size " + a.groupSize() + " does not divide in_features "
                        + in + " of " + projection + " in shape " + o.shape());
            }
        }
        return q;
    }

    private static DType denseType(String format) {
        return switch (format) {
            case "fp32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> DType.F16;
        };
    }

    private static List<Planned> plan(LlamaConfig c, Quantization q, DType dense, long seed) {
        List<Planned> plan = new ArrayList<>();
        int hidden = c.hiddenSize();
        plan.add(dense("model.embed_tokens.weight", RandomWeights.projection(seed, "model.embed_tokens.weight", hidden),
                c.vocabSize(), hidden, dense));
        for (int layer = 0; layer < c.numLayers(); layer++) {
            String prefix = "model.layers." + layer + ".";
            plan.add(norm(prefix + "input_layernorm.weight", hidden, dense, seed));
            for (String projection : CheckpointReader.PROJECTIONS) {
                if (projection.equals("mlp.gate_proj")) {
                    plan.add(norm(prefix + "post_attention_layernorm.weight", hidden, dense, seed));
                }
                int[] shape = CheckpointReader.projectionShape(c, projection);
                plan.add(projection(prefix + projection, shape[0], shape[1], q, dense, seed));
            }
        }
        plan.add(norm("model.norm.weight", hidden, dense, seed));
        if (!c.tieWordEmbeddings()) {
            plan.add(dense("lm_head.weight", RandomWeights.projection(seed, "lm_head.weight", hidden),
                    c.vocabSize(), hidden, dense));
        }
        return plan;
    }

    private static Planned norm(String name, int size, DType dtype, long seed) {
        return new Planned(List.of(new SafetensorsWriter.Entry(name, dtype, new long[] {size})),
                () -> List.of(TensorBytes.encode(RandomWeights.norm(seed, name), 1, size, dtype)));
    }

    private static Planned dense(String name, MatrixRows rows, int out, int in, DType dtype) {
        return new Planned(List.of(new SafetensorsWriter.Entry(name, dtype, new long[] {out, in})),
                () -> List.of(TensorBytes.encode(rows, out, in, dtype)));
    }

    /** The made weight of projection {@code prefix} before quantization (tests regenerate it). */
    public static MatrixRows projectionWeights(long seed, String prefix, int in) {
        return RandomWeights.projection(seed, prefix + ".weight", in);
    }

    /**
     * The activation a projection reads, named: q/k/v read the same normed hidden state, as do
     * gate/up. AutoGPTQ derives act-order from that input's statistics, so projections sharing an
     * input share one g_idx in real checkpoints; the made ones do too (and engines may fuse them).
     */
    static String sharedInput(String prefix) {
        return prefix.replaceFirst("\\.self_attn\\.[qkv]_proj$", ".self_attn.qkv_input")
                .replaceFirst("\\.mlp\\.(gate|up)_proj$", ".mlp.gate_up_input");
    }

    private static Planned projection(String prefix, int in, int out, Quantization q, DType dense, long seed) {
        MatrixRows rows = projectionWeights(seed, prefix, in);
        if (q instanceof Quantization.Gptq g) {
            int perWord = 32 / g.bits();
            int groups = CheckpointReader.gptqGroups(prefix, in, g.groupSize());
            long permutationSeed = RandomWeights.mix(seed ^ sharedInput(prefix).hashCode());
            return new Planned(List.of(
                    new SafetensorsWriter.Entry(prefix + ".qweight", DType.I32, new long[] {in / perWord, out}),
                    new SafetensorsWriter.Entry(prefix + ".qzeros", DType.I32, new long[] {groups, out / perWord}),
                    new SafetensorsWriter.Entry(prefix + ".scales", DType.F16, new long[] {groups, out}),
                    new SafetensorsWriter.Entry(prefix + ".g_idx", DType.I32, new long[] {in})),
                    () -> {
                        int[] gIdx = GptqPacker.groupIndex(in, g.groupSize() >= in ? -1 : g.groupSize(),
                                g.descAct(), permutationSeed);
                        GptqPacker.Packed p = GptqPacker.pack(rows, in, out, g.bits(), groups, g.sym(), g.v2(), gIdx);
                        return List.of(TensorBytes.of(p.qweight()), TensorBytes.of(p.qzeros()),
                                TensorBytes.of(p.scales()), TensorBytes.of(p.gIdx()));
                    });
        }
        if (q instanceof Quantization.Awq a) {
            int groups = in / a.groupSize();
            return new Planned(List.of(
                    new SafetensorsWriter.Entry(prefix + ".qweight", DType.I32, new long[] {in, out / 8}),
                    new SafetensorsWriter.Entry(prefix + ".qzeros", DType.I32, new long[] {groups, out / 8}),
                    new SafetensorsWriter.Entry(prefix + ".scales", DType.F16, new long[] {groups, out})),
                    () -> {
                        AwqPacker.Packed p = AwqPacker.pack(rows, in, out, a.groupSize());
                        return List.of(TensorBytes.of(p.qweight()), TensorBytes.of(p.qzeros()),
                                TensorBytes.of(p.scales()));
                    });
        }
        return dense(prefix + ".weight", rows, out, in, dense);
    }

    /** Makes weight i+1 while weight i is written: the disk and the cores work at the same time. */
    private static void writeTensors(Path dir, List<Planned> plan, long maxShardBytes) {
        List<SafetensorsWriter.Entry> entries = plan.stream().flatMap(p -> p.entries().stream()).toList();
        long total = entries.stream().mapToLong(SafetensorsWriter.Entry::bytes).sum();
        ExecutorService io = Executors.newSingleThreadExecutor();
        long start = System.nanoTime();
        try (ShardedSafetensorsWriter writer = ShardedSafetensorsWriter.create(dir, entries, maxShardBytes)) {
            Future<?> pending = null;
            long written = 0;
            int lastTenth = 0;
            for (Planned p : plan) {
                List<ByteBuffer> data = p.data().get();
                await(pending);
                pending = io.submit(() -> {
                    for (int i = 0; i < data.size(); i++) writer.write(p.entries().get(i).name(), data.get(i));
                });
                for (SafetensorsWriter.Entry e : p.entries()) written += e.bytes();
                int tenth = (int) (written * 10 / Math.max(1, total));
                if (tenth > lastTenth && total > PROGRESS_ABOVE_BYTES) {
                    lastTenth = tenth;
                    LOG.log(Level.INFO, "making checkpoint: {0}% of {1} MB, {2} s", tenth * 10, total >> 20,
                            (System.nanoTime() - start) / 1_000_000_000);
                }
            }
            await(pending);
        } finally {
            io.shutdownNow();
        }
    }

    private static void await(Future<?> pending) {
        if (pending == null) return;
        try {
            pending.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing the checkpoint", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The tokenizer writer belongs to the tokenizer part; until it exists, the checkpoint has none. */
    private static void writeTokenizer(Path file, int vocabSize) {
        TokenizerJsonWriter.write(file, vocabSize);
    }

    private static ObjectNode configJson(LlamaConfig c, Options o, Quantization q) {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add("LlamaForCausalLM");
        n.put("model_type", "llama");
        n.put("bos_token_id", c.bosTokenId());
        n.put("eos_token_id", c.eosTokenId());
        n.put("hidden_act", "silu");
        n.put("hidden_size", c.hiddenSize());
        n.put("initializer_range", 0.02);
        n.put("intermediate_size", c.intermediateSize());
        n.put("max_position_embeddings", c.maxPositions());
        n.put("num_attention_heads", c.numHeads());
        n.put("num_hidden_layers", c.numLayers());
        n.put("num_key_value_heads", c.numKvHeads());
        if (c.headDim() != c.hiddenSize() / c.numHeads()) n.put("head_dim", c.headDim());
        n.put("pretraining_tp", 1);
        n.put("rms_norm_eps", c.rmsNormEps());
        n.putNull("rope_scaling");
        n.put("rope_theta", c.ropeTheta());
        n.put("tie_word_embeddings", c.tieWordEmbeddings());
        n.put("torch_dtype", switch (o.format()) {
            case "fp32" -> "float32";
            case "bf16" -> "bfloat16";
            default -> "float16";
        });
        n.put("use_cache", true);
        n.put("vocab_size", c.vocabSize());
        if (q instanceof Quantization.Awq a) {
            ObjectNode awq = n.putObject("quantization_config");
            awq.put("quant_method", "awq");
            awq.put("bits", a.bits());
            awq.put("group_size", a.groupSize());
            awq.put("zero_point", true);
            awq.put("version", "gemm");
        }
        return n;
    }

    private static ObjectNode generationJson(LlamaConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("bos_token_id", c.bosTokenId());
        n.put("eos_token_id", c.eosTokenId());
        return n;
    }

    /** TheBloke's quantize_config.json fields; checkpoint_format only for v2 (absent means v1). */
    private static ObjectNode gptqJson(Quantization.Gptq g) {
        ObjectNode n = JSON.createObjectNode();
        n.put("bits", g.bits());
        n.put("group_size", g.groupSize());
        n.put("damp_percent", 0.1);
        n.put("desc_act", g.descAct());
        n.put("static_groups", false);
        n.put("sym", g.sym());
        n.put("true_sequential", true);
        n.putNull("model_name_or_path");
        n.put("model_file_base_name", "model");
        n.put("quant_method", "gptq");
        if (g.v2()) n.put("checkpoint_format", "gptq_v2");
        return n;
    }

    private static void writeJson(Path file, ObjectNode node) throws IOException {
        JSON.writeValue(file.toFile(), node);
    }
}
