package dev.inferless.llm.model.fast;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDManager;
import dev.inferless.llm.checkpoint.Checkpoint;
import dev.inferless.llm.checkpoint.LinearWeight;
import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.checkpoint.TensorStore;
import dev.inferless.llm.model.DecodeSession;
import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.PagedKvModel;
import dev.inferless.llm.ops.NativeLlm;
import dev.inferless.llm.sampling.SamplingParams;
import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.startup.StartupTimeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The fast path: the whole Llama forward pass in libllm_ops on a CUDA device, 4-bit weights repacked
 * at load for our tensor-core int4 matmul, a paged KV cache (one pool of blocks sized after the
 * weights, each session reading its positions through its block table), the decode step of each
 * batch-size bucket replayed from a CUDA graph, sampling on the device. Up to {@code sequences}
 * sessions are open at once and decode together. Calls into the library are serialized on this object.
 */
public final class FastLlamaModel implements LanguageModel, DeviceSamplingModel, PagedKvModel {

    private static final System.Logger LOG = System.getLogger(FastLlamaModel.class.getName());

    private final LlamaConfig config;
    private final PtNDManager manager;
    private final boolean[] inUse; // guarded by this
    // Blocks held by sessions opened without a table (newSession(maxTokens)), per sequence; guarded by this
    private final int[][] ownBlocks;
    private final Set<String> firstCalls = new HashSet<>(); // guarded by this
    private long model;            // guarded by this
    private int kvBlocks;          // set once at load
    private int kvBlockSize;

    private FastLlamaModel(LlamaConfig config, PtNDManager manager, long model, int sequences) {
        this.config = config;
        this.manager = manager;
        this.model = model;
        this.inUse = new boolean[sequences];
        this.ownBlocks = new int[sequences][];
    }

    /** Empty when the fast path applies (library loaded, CUDA, supported format); else the reason. */
    public static Optional<String> whyNotFast(Checkpoint ckpt, String device) {
        boolean cpuOnly = "cpu".equals(device);
        boolean loaded = !cpuOnly && NativeLlm.load();
        boolean cuda = loaded && Engine.getEngine("PyTorch").getGpuCount() > 0;
        return FastPathSupport.whyNot(device, loaded, cuda, ckpt.quantization(), ckpt.config());
    }

    /**
     * @param sequences  sessions open at once (the largest decode batch)
     * @param cudaGraphs replay each batch-size bucket's decode step from a CUDA graph
     * @param kv         the paged KV cache's block size and pool size
     */
    public static FastLlamaModel load(Checkpoint ckpt, int sequences, boolean cudaGraphs, KvPoolSize kv) {
        if (sequences < 1) throw new IllegalArgumentException("sequences must be at least 1, got " + sequences);
        LlamaConfig c = ckpt.config();
        PtNDManager manager = (PtNDManager) NDManager.newBaseManager(Device.gpu(), "PyTorch");
        FastLlamaModel fast = null;
        try {
            try (var phase = StartupTimeline.process().start("cuda context")) {
                manager.zeros(new Shape(1)).close(); // the first tensor on the device creates its context
            }
            TensorStore store = ckpt.tensors();
            long model;
            try (PtNDManager scratch = (PtNDManager) manager.newSubManager()) {
                long embed = DeviceTensors.upload(scratch, store, store.info("model.embed_tokens.weight")).getHandle();
                long lmHead = c.tieWordEmbeddings() ? embed
                        : DeviceTensors.upload(scratch, store, store.info("lm_head.weight")).getHandle();
                long norm = DeviceTensors.upload(scratch, store, store.info("model.norm.weight")).getHandle();
                int[] dims = {c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(), c.numKvHeads(),
                        c.headDim(), c.vocabSize(), c.maxPositions()};
                double[] params = {c.rmsNormEps(), c.ropeTheta(), c.ropeScalingFactor()};
                model = NativeLlm.createModel(dims, params, embed, norm, lmHead, sequences, cudaGraphs);
            }
            fast = new FastLlamaModel(c, manager, model, sequences);
            fast.addLayers(ckpt);
            try (var phase = StartupTimeline.process().start("kv cache")) {
                fast.allocateKvCache(kv, sequences);
            }
            return fast;
        } catch (RuntimeException e) {
            if (fast != null) {
                fast.close(); // the native model too, not only the tensors
            } else {
                manager.close();
            }
            throw e;
        }
    }

    /** The paged pool, sized from the memory the weights left free. */
    private void allocateKvCache(KvPoolSize kv, int sequences) {
        long free = NativeLlm.freeGpuMemory(manager.getDevice().getDeviceId());
        int blocks = kv.blocksFor(config, free, sequences);
        NativeLlm.usePagedKvCache(model, blocks, kv.blockSize());
        kvBlocks = blocks;
        kvBlockSize = kv.blockSize();
        LOG.log(System.Logger.Level.INFO, "KV cache: {0} blocks of {1} positions ({2} MiB, {3} positions; {4} MiB were free after the weights)",
                blocks, kv.blockSize(), blocks * kv.bytesPerBlock(config) >> 20, (long) blocks * kv.blockSize(), free >> 20);
    }

    /**
     * Every layer, its tensors uploaded on a thread of its own one layer ahead: the host's copies into
     * the pinned staging buffers (the longest part of a load) go on while the layer before is repacked.
     */
    private void addLayers(Checkpoint ckpt) {
        LoadProgress progress = new LoadProgress(config.numLayers());
        ExecutorService uploads = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "weights-upload");
            t.setDaemon(true);
            return t;
        });
        try {
            Future<UploadedLayer> next = uploads.submit(() -> uploadLayer(ckpt, 0));
            for (int i = 0; i < config.numLayers(); i++) {
                UploadedLayer layer = result(next);
                if (i + 1 < config.numLayers()) {
                    int following = i + 1;
                    next = uploads.submit(() -> uploadLayer(ckpt, following));
                }
                addLayer(layer, progress);
                progress.layerDone(i + 1);
            }
        } finally {
            // An upload still running writes into this model's memory: it ends before the model may close.
            uploads.shutdown();
            boolean interrupted = false;
            while (true) {
                try {
                    if (uploads.awaitTermination(1, TimeUnit.MINUTES)) break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private static <T> T result(Future<T> future) {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading the weights", e);
        }
    }

    /** One layer's checkpoint tensors on the device, as stored, in a scratch manager that the repack closes. */
    private record UploadedLayer(PtNDManager scratch, long inputNorm, long postNorm, UploadedLinear qkv,
                                 UploadedLinear o, UploadedLinear gateUp, UploadedLinear down) {}

    /** Projections over one input, uploaded: what their repack into native parts takes. */
    private record UploadedLinear(LinearWeight first, long[] qweights, long[] qzeros, long[] scales, long[] gIdx,
                                  long[] dense) {}

    private UploadedLayer uploadLayer(Checkpoint ckpt, int i) {
        LlamaConfig c = config;
        String p = "model.layers." + i + ".";
        int h = c.hiddenSize(), q = c.numHeads() * c.headDim(), kv = c.numKvHeads() * c.headDim();
        int f = c.intermediateSize();
        PtNDManager scratch = (PtNDManager) manager.newSubManager();
        try {
            TensorStore store = ckpt.tensors();
            long inputNorm = DeviceTensors.upload(scratch, store, store.info(p + "input_layernorm.weight")).getHandle();
            long postNorm = DeviceTensors.upload(scratch, store, store.info(p + "post_attention_layernorm.weight")).getHandle();
            return new UploadedLayer(scratch, inputNorm, postNorm,
                    upload(scratch, ckpt, List.of(ckpt.linear(p + "self_attn.q_proj", h, q),
                            ckpt.linear(p + "self_attn.k_proj", h, kv), ckpt.linear(p + "self_attn.v_proj", h, kv))),
                    upload(scratch, ckpt, List.of(ckpt.linear(p + "self_attn.o_proj", q, h))),
                    upload(scratch, ckpt, List.of(ckpt.linear(p + "mlp.gate_proj", h, f), ckpt.linear(p + "mlp.up_proj", h, f))),
                    upload(scratch, ckpt, List.of(ckpt.linear(p + "mlp.down_proj", f, h))));
        } catch (RuntimeException | Error e) {
            scratch.close();
            throw e;
        }
    }

    private void addLayer(UploadedLayer layer, LoadProgress progress) {
        try (PtNDManager scratch = layer.scratch()) {
            NativeLlm.addLayer(model, layer.inputNorm(), layer.postNorm(), repack(scratch, layer.qkv(), progress),
                    repack(scratch, layer.o(), progress), repack(scratch, layer.gateUp(), progress),
                    repack(scratch, layer.down(), progress));
        }
    }

    /** Projections over one input, their tensors to the device as stored. */
    private static UploadedLinear upload(PtNDManager scratch, Checkpoint ckpt, List<LinearWeight> projections) {
        TensorStore store = ckpt.tensors();
        projections.forEach(FastLlamaModel::requireNoBias);
        LinearWeight first = projections.get(0);
        int n = projections.size();
        long[] qw = new long[n], qz = new long[n], sc = new long[n], gi = new long[n], dense = new long[n];
        for (int j = 0; j < n; j++) {
            if (projections.get(j) instanceof LinearWeight.Gptq g) {
                int groups = (int) g.scales().shape()[0];
                int[] groupOf = g.gIdx() == null ? null
                        : GroupIndex.read(store.bytes(g.gIdx().name()), g.in(), groups, g.gIdx().name());
                int groupSize = g.format().groupSize() <= 0 ? g.in() : g.format().groupSize();
                boolean permuted = groupOf != null && !GroupIndex.inOrder(groupOf, groupSize);
                qw[j] = DeviceTensors.upload(scratch, store, g.qweight()).getHandle();
                qz[j] = DeviceTensors.upload(scratch, store, g.qzeros()).getHandle();
                sc[j] = DeviceTensors.upload(scratch, store, g.scales()).getHandle();
                gi[j] = permuted ? DeviceTensors.upload(scratch, store, g.gIdx()).getHandle() : 0;
            } else if (projections.get(j) instanceof LinearWeight.Awq a) {
                qw[j] = DeviceTensors.upload(scratch, store, a.qweight()).getHandle();
                qz[j] = DeviceTensors.upload(scratch, store, a.qzeros()).getHandle();
                sc[j] = DeviceTensors.upload(scratch, store, a.scales()).getHandle();
            } else {
                dense[j] = DeviceTensors.upload(scratch, store, ((LinearWeight.Dense) projections.get(j)).weight()).getHandle();
            }
        }
        return new UploadedLinear(first, qw, qz, sc, gi, dense);
    }

    /** The uploaded projections as native parts (6 longs each), fused where their storage allows. */
    private static long[] repack(PtNDManager scratch, UploadedLinear u, LoadProgress progress) {
        long start = System.nanoTime();
        long[] parts;
        if (u.first() instanceof LinearWeight.Gptq g0) {
            // All projections in one call: the library fuses them into as few parts as their g_idx allow
            // (one, with a gathered input copy per act-order permutation, for its own int4 kernel).
            var fmt = g0.format();
            parts = DeviceTensors.adopt(scratch, NativeLlm.repackGptq(u.qweights(), u.qzeros(), u.scales(), u.gIdx(),
                    fmt.bits(), fmt.groupSize(), fmt.v2()));
        } else if (u.first() instanceof LinearWeight.Awq a0) {
            parts = DeviceTensors.adopt(scratch, NativeLlm.repackAwq(u.qweights(), u.qzeros(), u.scales(), a0.format().groupSize()));
        } else {
            return DeviceTensors.adopt(scratch, NativeLlm.denseLinear(u.dense()));
        }
        progress.repacked(System.nanoTime() - start);
        return parts;
    }

    private static void requireNoBias(LinearWeight w) {
        var bias = w instanceof LinearWeight.Dense d ? d.bias()
                : w instanceof LinearWeight.Gptq g ? g.bias() : ((LinearWeight.Awq) w).bias();
        if (bias != null) throw new IllegalArgumentException(bias.name() + ": biases are not supported by the fast path");
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public String device() {
        return manager.getDevice().toString();
    }

    @Override
    public int kvBlockSize() {
        return kvBlockSize;
    }

    @Override
    public int kvBlocks() {
        return kvBlocks;
    }

    /** A session on its block table, its first {@code cachedTokens} positions already in those blocks. */
    @Override
    public synchronized DecodeSession newSession(int maxTokens, int[] blocks, int cachedTokens) {
        long m = open();
        checkMaxTokens(maxTokens);
        int sequence = freeSequence();
        NativeLlm.setBlocks(m, sequence, blocks, cachedTokens);
        inUse[sequence] = true;
        return new FastDecodeSession(this, sequence, maxTokens, cachedTokens);
    }

    @Override
    public synchronized void grow(DecodeSession session, int[] blocks) {
        if (!(session instanceof FastDecodeSession f) || f.model() != this) {
            throw new IllegalArgumentException("a session of another model");
        }
        NativeLlm.growBlocks(open(), f.sequence(), blocks);
    }

    /**
     * A session outside any scheduler (benches, checks): on pool blocks no other such session holds.
     * The scheduler hands out the same pool: a model serves sessions of one kind or the other.
     */
    @Override
    public synchronized DecodeSession newSession(int maxTokens) {
        checkMaxTokens(maxTokens);
        int need = (maxTokens + kvBlockSize - 1) / kvBlockSize;
        boolean[] taken = new boolean[kvBlocks];
        for (int[] held : ownBlocks) {
            if (held != null) for (int id : held) taken[id] = true;
        }
        int[] blocks = new int[need];
        for (int id = 0, n = 0; n < need; id++) {
            if (id == kvBlocks) {
                throw new IllegalStateException("the KV cache's " + kvBlocks + " blocks have no " + need + " free for "
                        + maxTokens + " positions");
            }
            if (!taken[id]) blocks[n++] = id;
        }
        DecodeSession session = newSession(maxTokens, blocks, 0);
        ownBlocks[((FastDecodeSession) session).sequence()] = blocks;
        return session;
    }

    private void checkMaxTokens(int maxTokens) {
        if (maxTokens < 1 || maxTokens > config.maxPositions()) {
            throw new IllegalArgumentException("maxTokens must be in [1, " + config.maxPositions() + "], got " + maxTokens);
        }
    }

    private int freeSequence() {
        int sequence = 0;
        while (sequence < inUse.length && inUse[sequence]) sequence++;
        if (sequence == inUse.length) {
            throw new IllegalStateException("all " + inUse.length + " sequences of the fast path are in use; close one first");
        }
        return sequence;
    }

    /** The library's batch-invariant decode steps (see NativeLlm.setBatchInvariant). */
    @Override
    public synchronized void setBatchInvariant(boolean on) {
        NativeLlm.setBatchInvariant(open(), on);
    }

    /** Sequences open at once; a decode step takes any subset of them. */
    @Override
    public int maxSessions() {
        return inUse.length;
    }

    synchronized float[] prefill(int sequence, int[] tokens) {
        try (var phase = firstCall("first prefill")) {
            return NativeLlm.prefill(open(), sequence, tokens);
        }
    }

    synchronized SampledTokens prefillSample(int sequence, int[] tokens, SamplingParams s, long seed, int logprobs) {
        try (var phase = firstCall("first prefill")) {
            int token = NativeLlm.prefillSample(open(), sequence, tokens, s.temperature(), s.topK(), s.topP(),
                    s.repetitionPenalty(), seed, logprobs);
            return collected(new int[] {token});
        }
    }

    @Override
    public synchronized float[][] decodeBatch(List<DecodeSession> sessions, int[] tokens) {
        List<FastDecodeSession> own = sessionsOf(sessions, tokens);
        float[] flat;
        try (var phase = firstCall("graph capture")) {
            flat = NativeLlm.decode(open(), sequencesOf(own), tokens);
        }
        own.forEach(FastDecodeSession::advance);
        int vocab = flat.length / tokens.length;
        float[][] logits = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            logits[i] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab);
        }
        return logits;
    }

    @Override
    public synchronized void submitDecode(List<? extends DecodeSession> sessions, int[] tokens) {
        List<FastDecodeSession> own = sessionsOf(sessions, tokens);
        try (var phase = firstCall("graph capture")) {
            NativeLlm.submitDecode(open(), sequencesOf(own), tokens);
        }
        own.forEach(FastDecodeSession::advance);
    }

    @Override
    public synchronized SampledTokens collectDecode() {
        return collected(NativeLlm.collectDecode(open()));
    }

    /** The tokens the library just returned, with the log-probabilities it computed beside them. */
    private SampledTokens collected(int[] tokens) {
        int[] top = NativeLlm.collectedTopTokens(model);
        float[] values = NativeLlm.collectedLogprobs(model);
        TokenLogprobs[] logprobs = new TokenLogprobs[tokens.length];
        int t = 0, v = 0;
        while (t < top.length) {
            int row = top[t++], n = top[t++];
            int[] ids = Arrays.copyOfRange(top, t, t + n);
            double[] topValues = new double[n];
            for (int i = 0; i < n; i++) topValues[i] = values[v + 1 + i];
            logprobs[row] = new TokenLogprobs(tokens[row], "", values[v], ids, topValues);
            t += n;
            v += 1 + n;
        }
        return new SampledTokens(tokens, logprobs);
    }

    synchronized void release(int sequence) {
        inUse[sequence] = false;
        ownBlocks[sequence] = null;
    }

    /** This model's open sessions, each ready for one more token. */
    private List<FastDecodeSession> sessionsOf(List<? extends DecodeSession> sessions, int[] tokens) {
        if (sessions.isEmpty() || sessions.size() != tokens.length) {
            throw new IllegalArgumentException(sessions.size() + " sessions but " + tokens.length + " tokens");
        }
        List<FastDecodeSession> own = new ArrayList<>(sessions.size());
        for (DecodeSession s : sessions) {
            if (!(s instanceof FastDecodeSession f) || f.model() != this) {
                throw new IllegalArgumentException("a session of another model");
            }
            f.checkDecode();
            own.add(f);
        }
        return own;
    }

    private static int[] sequencesOf(List<FastDecodeSession> sessions) {
        return sessions.stream().mapToInt(FastDecodeSession::sequence).toArray();
    }

    /**
     * A start phase for the first call of its kind: the first prefill (kernels load, cuBLAS starts) and
     * the first decode step (it captures its batch-size bucket's CUDA graph); later calls time nothing.
     */
    private StartupTimeline.Span firstCall(String phase) {
        return firstCalls.add(phase) ? StartupTimeline.process().start(phase) : () -> {};
    }

    private long open() {
        if (model == 0) throw new IllegalStateException("model is closed");
        return model;
    }

    @Override
    public synchronized void close() {
        if (model != 0) {
            NativeLlm.freeModel(model);
            model = 0;
        }
        manager.close();
    }
}
