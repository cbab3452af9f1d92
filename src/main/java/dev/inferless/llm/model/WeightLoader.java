package dev.inferless.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.ops.DenseLinear;
import dev.inferless.llm.ops.LinearOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Uploads dense float weights, one tensor at a time, onto the device in the model's dtype: each
 * float[] is dropped right after its upload so the Java heap never holds more than one matrix
 * (a 34B gate projection alone is 720 MB as float32).
 */
final class WeightLoader {

    private static final Logger LOG = LoggerFactory.getLogger(WeightLoader.class);

    private final LlamaConfig cfg;
    private final Function<String, float[]> source;
    private final NDManager manager;
    private final DataType dtype;
    private long uploadedBytes;
    private ByteBuffer staging;

    private WeightLoader(LlamaConfig cfg, Function<String, float[]> source, NDManager manager, DataType dtype) {
        this.cfg = cfg;
        this.source = source;
        this.manager = manager;
        this.dtype = dtype;
    }

    static LlamaWeights load(LlamaConfig cfg, Function<String, float[]> source, NDManager manager, DataType dtype) {
        return new WeightLoader(cfg, source, manager, dtype).loadAll();
    }

    private LlamaWeights loadAll() {
        long start = System.nanoTime();
        int h = cfg.hiddenSize();
        NDArray embeddings = upload("model.embed_tokens.weight", cfg.vocabSize(), h);
        List<LayerWeights> layers = new ArrayList<>();
        int band = Math.max(1, cfg.numLayers() / 8);
        long bandStart = System.nanoTime();
        int bandFirst = 0;
        for (int l = 0; l < cfg.numLayers(); l++) {
            layers.add(layer(l));
            if ((l + 1) % band == 0 || l == cfg.numLayers() - 1) {
                LOG.info("loaded layers {}..{} of {} in {} ms ({} MiB on {} so far)", bandFirst, l,
                        cfg.numLayers(), millisSince(bandStart), uploadedBytes >> 20, manager.getDevice());
                bandStart = System.nanoTime();
                bandFirst = l + 1;
            }
        }
        NDArray finalNorm = upload("model.norm.weight", h);
        LinearOp lmHead = cfg.tieWordEmbeddings()
                ? DenseLinear.sharing(embeddings)
                : new DenseLinear(upload("lm_head.weight", cfg.vocabSize(), h));
        LOG.info("loaded {} layers, {} MiB as {} on {} in {} ms", cfg.numLayers(), uploadedBytes >> 20, dtype,
                manager.getDevice(), millisSince(start));
        return new LlamaWeights(embeddings, layers, finalNorm, lmHead);
    }

    private LayerWeights layer(int l) {
        String p = "model.layers." + l + ".";
        int h = cfg.hiddenSize();
        int q = cfg.numHeads() * cfg.headDim();
        int kv = cfg.numKvHeads() * cfg.headDim();
        int ff = cfg.intermediateSize();
        NDArray inputNorm = upload(p + "input_layernorm.weight", h);
        LinearOp qkv = DenseLinear.fused(List.of(
                upload(p + "self_attn.q_proj.weight", q, h),
                upload(p + "self_attn.k_proj.weight", kv, h),
                upload(p + "self_attn.v_proj.weight", kv, h)));
        LinearOp o = new DenseLinear(upload(p + "self_attn.o_proj.weight", h, q));
        NDArray postNorm = upload(p + "post_attention_layernorm.weight", h);
        LinearOp gateUp = DenseLinear.fused(List.of(
                upload(p + "mlp.gate_proj.weight", ff, h),
                upload(p + "mlp.up_proj.weight", ff, h)));
        LinearOp down = new DenseLinear(upload(p + "mlp.down_proj.weight", h, ff));
        return new LayerWeights(inputNorm, qkv, o, postNorm, gateUp, down);
    }

    /** One tensor from the source onto the device; its float[] is unreachable once this returns. */
    private NDArray upload(String name, long... shape) {
        Shape s = new Shape(shape);
        float[] data = source.apply(name);
        if (data == null) {
            throw new IllegalArgumentException("missing weight " + name);
        }
        if (data.length != s.size()) {
            throw new IllegalArgumentException(
                    "weight " + name + " has " + data.length + " elements, expected " + s + " = " + s.size());
        }
        NDArray f32 = create(data, s);
        NDArray converted = f32.toType(dtype, false);
        if (converted != f32) {
            f32.close();
        }
        uploadedBytes += s.size() * dtype.getNumOfBytes();
        return converted;
    }

    /**
     * float32 array on the device. On a GPU the bytes go through one reused direct staging buffer
     * (DJL copies them to the device before returning), instead of a fresh direct buffer per
     * matrix left for the GC. On CPU DJL's tensor aliases the buffer it is given, so each gets its own.
     */
    private NDArray create(float[] data, Shape shape) {
        if (!manager.getDevice().isGpu()) {
            return manager.create(data, shape);
        }
        long bytes = 4L * data.length;
        if (staging == null || staging.capacity() < bytes) {
            staging = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
        }
        staging.clear().limit((int) bytes);
        staging.asFloatBuffer().put(data);
        return manager.create(staging, shape, DataType.FLOAT32);
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
