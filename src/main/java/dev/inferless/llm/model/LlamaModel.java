package dev.inferless.llm.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.ops.CausalAttention;
import dev.inferless.llm.ops.RmsNorm;
import dev.inferless.llm.ops.RotaryEmbedding;
import dev.inferless.llm.ops.SwiGlu;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.function.Function;

/**
 * A Llama-family model on DJL NDArrays (PyTorch engine): the portable path, using only standard
 * tensor operations (listed in docs/ops-used.md). Weights live in the model's own NDManager; each
 * session owns its KV cache in a sub-manager, and each step's intermediates in a sub-manager of that.
 */
public final class LlamaModel implements LanguageModel {

    private final LlamaConfig cfg;
    private final NDManager manager;
    private final Placement placement;
    private final LlamaWeights weights;
    private final RotaryEmbedding rope;
    /** Scalars kept on the device so that a step never copies a Java number to it. */
    private final NDArray normEps;
    private final NDArray attentionScale;
    private volatile boolean closed;
    private volatile boolean batchInvariant;

    /** Takes ownership of {@code manager}, which holds {@code weights}. */
    LlamaModel(LlamaConfig cfg, NDManager manager, Placement placement, LlamaWeights weights) {
        this.cfg = cfg;
        this.manager = manager;
        this.placement = placement;
        this.weights = weights;
        this.rope = new RotaryEmbedding(manager, cfg.maxPositions(), cfg.headDim(), cfg.ropeTheta(),
                cfg.ropeScalingFactor(), placement.dtype());
        this.normEps = manager.create((float) cfg.rmsNormEps());
        this.attentionScale = CausalAttention.scale(manager, cfg.headDim(), placement.dtype());
    }

    /** Loads a checkpoint (any supported format, dequantized at load) onto cpu | gpu | auto. */
    public static LlamaModel load(Checkpoint ckpt, String device) {
        return load(ckpt, device, "auto");
    }

    /**
     * As {@link #load(Checkpoint, String)}, with the dtype: auto (float32 on CPU, float16 on GPU) | float32 |
     * float16 | bfloat16 (only with a binding that maps it; see {@link Placement}).
     */
    public static LlamaModel load(Checkpoint ckpt, String device, String dtype) {
        return fromWeights(ckpt.config(), new CheckpointWeights(ckpt), device, dtype);
    }

    /** As {@link #fromWeights(LlamaConfig, Function, String, String)} with dtype auto. */
    public static LlamaModel fromWeights(LlamaConfig cfg, Function<String, float[]> weights, String device) {
        return fromWeights(cfg, weights, device, "auto");
    }

    /**
     * Builds a model from dense float weights by checkpoint name (projections [out][in] row-major),
     * as {@code ReferenceLlama} (src/test) takes them. Device and dtype as in {@link #load}.
     */
    public static LlamaModel fromWeights(LlamaConfig cfg, Function<String, float[]> weights, String device,
                                         String dtype) {
        validate(cfg);
        Placement placement = Placement.resolve(device, dtype);
        NDManager manager = NDManager.newBaseManager(placement.device(), Placement.ENGINE);
        try {
            return new LlamaModel(cfg, manager, placement, WeightLoader.load(cfg, weights, manager, placement.dtype()));
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    static void validate(LlamaConfig cfg) {
        requirePositive("hidden_size", cfg.hiddenSize());
        requirePositive("intermediate_size", cfg.intermediateSize());
        requirePositive("num_hidden_layers", cfg.numLayers());
        requirePositive("num_attention_heads", cfg.numHeads());
        requirePositive("num_key_value_heads", cfg.numKvHeads());
        requirePositive("head_dim", cfg.headDim());
        requirePositive("vocab_size", cfg.vocabSize());
        requirePositive("max_position_embeddings", cfg.maxPositions());
        if (cfg.numHeads() % cfg.numKvHeads() != 0) {
            throw new IllegalArgumentException("num_attention_heads " + cfg.numHeads()
                    + " must be a multiple of num_key_value_heads " + cfg.numKvHeads());
        }
        if (cfg.headDim() % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for RoPE, got " + cfg.headDim());
        }
        if (!(cfg.ropeScalingFactor() > 0)) {
            throw new IllegalArgumentException("rope_scaling factor must be > 0, got " + cfg.ropeScalingFactor());
        }
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0, got " + value);
        }
    }

    @Override
    public LlamaConfig config() {
        return cfg;
    }

    @Override
    public String device() {
        return placement.deviceName();
    }

    DataType dtype() {
        return placement.dtype();
    }

    NDManager manager() {
        return manager;
    }

    @Override
    public DecodeSession newSession(int maxTokens) {
        ensureOpen();
        if (maxTokens <= 0 || maxTokens > cfg.maxPositions()) {
            throw new IllegalArgumentException("maxTokens must be in 1.." + cfg.maxPositions()
                    + " (max_position_embeddings), got " + maxTokens);
        }
        return new LlamaDecodeSession(this, maxTokens);
    }

    KvCache newCache(NDManager sessionManager, int maxTokens) {
        return new KvCache(sessionManager, cfg.numLayers(), cfg.numKvHeads(), maxTokens, cfg.headDim(),
                placement.dtype());
    }

    /** Embeddings [T, hidden] of the prompt: one upload of the ids, one gather on the device. */
    NDArray embed(NDManager step, int[] tokens) {
        long[] ids = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            ids[i] = tokens[i];
        }
        return weights.embeddings().get(step, new NDIndex("{}", step.create(ids)));
    }

    /** Embedding [1, hidden] of one token: a slice of the table, no transfer. */
    NDArray embed(NDManager step, int token) {
        return weights.embeddings().get(step, NDIndex.sliceAxis(0, token, token + 1));
    }

    /**
     * Runs T new positions starting at {@code position} through every layer (writing their keys and
     * values into {@code cache}) and returns the logits [1, vocab] of the last one, in the model dtype.
     */
    NDArray forward(NDManager step, NDArray x, int position, KvCache cache) {
        int t = (int) x.getShape().get(0);
        NDList rotation = rope.rows(step, position, t);
        NDArray mask = t > 1 ? CausalAttention.causalMask(step, position, t, placement.dtype()) : null;
        for (int l = 0; l < weights.layers().size(); l++) {
            x = layer(weights.layers().get(l), l, x, position, cache, rotation, mask, step);
        }
        NDArray last = t > 1 ? x.get(NDIndex.sliceAxis(0, t - 1, t)) : x;
        return weights.lmHead().apply(RmsNorm.apply(last, weights.finalNorm(), normEps, placement.dtype()));
    }

    /**
     * Batch-invariant: each row of a step runs as a batch of one. A CPU matmul over B rows sums a
     * row's products in an order that depends on B (a row's logits differ from its logits alone by
     * ~1e-6), so rows that must not depend on their neighbours cannot share the projections.
     */
    @Override
    public void setBatchInvariant(boolean on) {
        batchInvariant = on;
    }

    /**
     * One decode step of B sequences: every projection and the MLP run once over [B, hidden] (over
     * [1, hidden] per sequence when batch-invariant); attention runs per sequence over its own cache
     * (positions differ, so do cache lengths).
     */
    @Override
    public float[][] decodeBatch(List<DecodeSession> sessions, int[] tokens) {
        ensureOpen();
        int b = tokens.length;
        if (sessions.size() != b) {
            throw new IllegalArgumentException(sessions.size() + " sessions but " + b + " tokens");
        }
        if (new HashSet<>(sessions).size() != b) {
            throw new IllegalArgumentException("a session appears twice in one batch");
        }
        KvCache[] caches = new KvCache[b];
        int[] positions = new int[b];
        for (int i = 0; i < b; i++) {
            if (!(sessions.get(i) instanceof LlamaDecodeSession s)) {
                throw new IllegalArgumentException("session " + i + " is not a session of this model");
            }
            caches[i] = s.readyForBatchedDecode(this, tokens[i]);
            positions[i] = s.position();
        }
        float[][] out;
        if (batchInvariant) {
            out = new float[b][];
            for (int i = 0; i < b; i++) {
                out[i] = stepRows(new int[] {tokens[i]}, new int[] {positions[i]}, new KvCache[] {caches[i]})[0];
            }
        } else {
            out = stepRows(tokens, positions, caches);
        }
        for (int i = 0; i < b; i++) {
            ((LlamaDecodeSession) sessions.get(i)).advanceOne();
        }
        return out;
    }

    /** One forwardBatch over these rows: float logits per row. */
    private float[][] stepRows(int[] tokens, int[] positions, KvCache[] caches) {
        float[] flat;
        try (NDManager step = manager.newSubManager()) {
            NDArray logits = forwardBatch(step, embed(step, tokens), positions, caches);
            flat = logits.toType(DataType.FLOAT32, false).toDevice(ai.djl.Device.cpu(), false).toFloatArray();
        }
        int vocab = cfg.vocabSize();
        float[][] out = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            out[i] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
        }
        return out;
    }

    /** x [B, hidden]: one new token per sequence at {@code positions[i]}; returns logits [B, vocab]. */
    private NDArray forwardBatch(NDManager step, NDArray x, int[] positions, KvCache[] caches) {
        NDList cos = new NDList();
        NDList sin = new NDList();
        for (int p : positions) {
            NDList rows = rope.rows(step, p, 1);
            cos.add(rows.get(0));
            sin.add(rows.get(1));
        }
        NDList rotation = new NDList(NDArrays.concat(cos, 0), NDArrays.concat(sin, 0));
        for (int l = 0; l < weights.layers().size(); l++) {
            x = batchLayer(weights.layers().get(l), l, x, positions, caches, rotation, step);
        }
        return weights.lmHead().apply(RmsNorm.apply(x, weights.finalNorm(), normEps, placement.dtype()));
    }

    private NDArray batchLayer(LayerWeights w, int l, NDArray x, int[] positions, KvCache[] caches, NDList rotation,
                               NDManager step) {
        int b = positions.length;
        NDList qkv = rotatedQkv(w, x, rotation);
        NDList attended = new NDList(b);
        for (int i = 0; i < b; i++) {
            NDIndex row = NDIndex.sliceAxis(0, i, i + 1);
            caches[i].write(l, positions[i], qkv.get(1).get(row), qkv.get(2).get(row));
            int length = positions[i] + 1;
            attended.add(CausalAttention.attend(qkv.get(0).get(row), caches[i].keys(step, l, length),
                    caches[i].values(step, l, length), null, attentionScale));
        }
        return attentionOutputAndMlp(w, x, NDArrays.concat(attended, 0));
    }

    /** q, k (both rotated) and v of each row of {@code x}: [rows, heads, headDim] and [rows, kvHeads, headDim]. */
    private NDList rotatedQkv(LayerWeights w, NDArray x, NDList rotation) {
        long rows = x.getShape().get(0);
        int heads = cfg.numHeads();
        int kvHeads = cfg.numKvHeads();
        NDArray h = RmsNorm.apply(x, w.inputNorm(), normEps, placement.dtype());
        NDArray qkv = w.qkv().apply(h).reshape(rows, heads + 2L * kvHeads, cfg.headDim());
        NDList qkAndV = qkv.split(new long[] {heads + kvHeads}, 1);
        NDList qAndK = RotaryEmbedding.rotate(qkAndV.get(0), rotation).split(new long[] {heads}, 1);
        return new NDList(qAndK.get(0), qAndK.get(1), qkAndV.get(1));
    }

    /** The rest of a layer after attention: o_proj into the residual, then the MLP block. */
    private NDArray attentionOutputAndMlp(LayerWeights w, NDArray x, NDArray attention) {
        x = x.add(w.o().apply(attention));
        NDArray m = RmsNorm.apply(x, w.postAttentionNorm(), normEps, placement.dtype());
        return x.add(w.down().apply(SwiGlu.apply(w.gateUp().apply(m))));
    }

    private NDArray layer(LayerWeights w, int l, NDArray x, int position, KvCache cache, NDList rotation,
                          NDArray mask, NDManager step) {
        int t = (int) x.getShape().get(0);
        NDList qkv = rotatedQkv(w, x, rotation);
        cache.write(l, position, qkv.get(1), qkv.get(2));
        int length = position + t;
        NDArray attn = CausalAttention.attend(qkv.get(0), cache.keys(step, l, length), cache.values(step, l, length),
                mask, attentionScale);
        return attentionOutputAndMlp(w, x, attn);
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("model is closed");
        }
    }

    /** Frees the weights and every session's cache; those sessions then refuse further steps. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        normEps.close();
        attentionScale.close();
        rope.close();
        weights.close();
        manager.close();
    }
}
