package dev.inferless.llm.ops;

import ai.djl.engine.Engine;

import java.nio.file.Files;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The JNI declarations of {@code libllm_ops.so} (src/main/native/llm_ops): the fast decode path.
 * Tensor arguments and results are DJL PyTorch handles ({@code PtNDArray.getHandle()}: a pointer to a
 * heap-allocated torch::Tensor; wrap a returned one with {@code new PtNDArray(manager, handle)} so
 * that DJL frees it). A linear "part" is six longs: weight handle, scales-and-zeros handle (0: dense
 * bf16 weight), activation permutation handle (0: none; [P, K] for P input copies), int4 group size,
 * kind (0 dense, 1 torch's int4 layout, 2 our tensor-core layout: the one repacking builds),
 * first output column of each input copy (a handle, 0: one copy). A model is an opaque
 * native pointer freed by {@link #freeModel}. Errors: IllegalArgumentException for bad input,
 * IllegalStateException for failures inside torch.
 */
public final class NativeLlm {

    /** System property, then environment variable, naming the library file (else native/ beside the jar). */
    public static final String LIBRARY_PROPERTY = "inferless.llmops.library";
    public static final String LIBRARY_ENV = "INFERLESS_LLM_OPS_LIBRARY";

    private static volatile boolean loaded;

    private NativeLlm() {}

    /**
     * Loads the library once, after DJL's PyTorch engine (whose libtorch it links against).
     * Returns false, without throwing, when no library is found or it cannot be loaded.
     */
    public static synchronized boolean load() {
        if (loaded) return true;
        Optional<Path> library = libraryPath(System.getProperty(LIBRARY_PROPERTY), System.getenv(LIBRARY_ENV), runtimeDir());
        if (library.isEmpty()) return false;
        try {
            Engine.getEngine("PyTorch");
            System.load(library.get().toAbsolutePath().toString());
            loaded = true;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            System.getLogger(NativeLlm.class.getName())
                    .log(System.Logger.Level.WARNING, "fast path library not loaded: " + e.getMessage());
        }
        return loaded;
    }

    /**
     * The library to load: the system property, else the environment variable (a configured path
     * that is not a file means none), else {@code native/libllm_ops.so} beside the runtime's jar,
     * where the GPU image puts it. Empty when there is none.
     */
    static Optional<Path> libraryPath(String property, String environment, Path runtimeDir) {
        for (String configured : new String[] {property, environment}) {
            if (configured != null && !configured.isBlank()) {
                return Optional.of(Path.of(configured)).filter(Files::isRegularFile);
            }
        }
        if (runtimeDir == null) return Optional.empty();
        Path beside = runtimeDir.resolve("native").resolve("libllm_ops.so");
        return Files.isRegularFile(beside) ? Optional.of(beside) : Optional.empty();
    }

    /** The folder holding the runtime's jar (or its classes folder); null when unknown. */
    private static Path runtimeDir() {
        try {
            return Path.of(NativeLlm.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /**
     * A new tensor on CUDA device {@code device} holding the direct buffer's bytes (its whole
     * capacity) as {@code dtype} (a safetensors name: F16, BF16, F32, I32, ...) of {@code shape},
     * copied through pinned staging buffers (several times faster than a pageable copy).
     */
    public static native long upload(java.nio.ByteBuffer data, String dtype, long[] shape, int device);

    /**
     * GPTQ projections sharing one input, fused along N into as few parts as their g_idx allow (one
     * for our int4 kernel, which reads one gathered input copy per permutation; else one per run of
     * equal g_idx): int4 for 4-bit where the layout fits, else dequantized bf16. gIdx entries may be 0
     * (k / G). Six longs per part (DeviceTensors.PART_LONGS).
     */
    public static native long[] repackGptq(long[] qweight, long[] qzeros, long[] scales, long[] gIdx,
                                           int bits, int groupSize, boolean v2);

    /** AWQ GEMM projections sharing one input, fused along N into one part. */
    public static native long[] repackAwq(long[] qweight, long[] qzeros, long[] scales, int groupSize);

    /** Dense [N_i, K] weights (any float type) fused along N into one bf16 part. */
    public static native long[] denseLinear(long[] weights);

    /**
     * dims: hidden, intermediate, layers, heads, kvHeads, headDim, vocab, maxPositions;
     * params: rmsNormEps, ropeTheta, ropeScalingFactor. Tensors: embed [V, H], final norm [H], lm_head [V, H].
     * {@code sequences} KV caches share the weights (the largest decode batch); cudaGraphs: each
     * batch-size bucket's decode step is captured once and replayed.
     */
    public static native long createModel(int[] dims, double[] params, long embed, long finalNorm, long lmHead,
                                          int sequences, boolean cudaGraphs);

    /** Appends the next layer; each linear is one or more parts (6 longs each). */
    public static native void addLayer(long model, long inputNorm, long postNorm, long[] qkv, long[] o,
                                       long[] gateUp, long[] down);

    /**
     * With {@code on}, each row of a decode step is computed bit for bit as it would be alone, whatever
     * the step's size and other rows: every reduction a row sees runs in an order fixed by the model
     * alone (the attention's split of the positions, the int4 matmuls' kernel, lm_head at one row count,
     * no RMSNorm folded into one-row steps). Off by default (faster at one row).
     */
    public static native void setBatchInvariant(long model, boolean on);

    /** Free memory of CUDA device {@code device} in bytes, counting what torch caches without a tensor in it. */
    public static native long freeGpuMemory(int device);

    /**
     * Gives the model a paged KV cache: per layer one pool of {@code blocks} blocks of {@code blockSize}
     * positions (a power of two); its sequences start at {@link #setBlocks}.
     * Once, after the layers, before any sequence starts.
     */
    public static native void usePagedKvCache(long model, int blocks, int blockSize);

    /**
     * Paged cache: sequence {@code sequence} starts on {@code blocks} (pool ids in position order), its
     * first {@code cachedTokens} positions already holding their KV there; prefill computes the positions after.
     */
    public static native void setBlocks(long model, int sequence, int[] blocks, int cachedTokens);

    /** Paged cache: the sequence's block table grew (the old ids first); its position stays. */
    public static native void growBlocks(long model, int sequence, int[] blocks);

    /**
     * Runs tokens at the sequence's next positions (its prompt, or the part past its cached prefix, or a
     * chunk of it); float logits [vocab] of the last.
     */
    public static native float[] prefill(long model, int sequence, int[] tokens);

    /** Appends tokens[i] to sequences[i] (distinct) in one step; float logits [n * vocab], row by row. */
    public static native float[] decode(long model, int[] sequences, int[] tokens);

    /**
     * Runs the prompt (past the positions the sequence's cache holds already) and samples on the device
     * (temperature <= 0: greedy; the penalty sees the whole prompt); returns the token id.
     * {@code logprobs}: the top alternatives (0 to 20) whose log-probabilities the device computes with
     * each of the sequence's tokens (raw logits, before penalty and temperature; see
     * {@link #collectedLogprobs}); -1: none.
     */
    public static native int prefillSample(long model, int sequence, int[] tokens, double temperature, int topK,
                                           double topP, double repetitionPenalty, long seed, int logprobs);

    /**
     * Launches the same step without waiting for it: a negative token stands for the one the device
     * sampled for that sequence at its previous step (launched, maybe not yet collected). At most
     * two steps in flight; collectDecode takes their tokens in launch order.
     */
    public static native void submitDecode(long model, int[] sequences, int[] tokens);

    /** Waits for the oldest step launched by submitDecode; its tokens, in its sequences' order. */
    public static native int[] collectDecode(long model);

    /**
     * Of the tokens the last prefillSample or collectDecode returned, the rows whose sequence asks for
     * log-probabilities, in row order: {@code [row, top count n, n token ids]} each, most likely first.
     */
    public static native int[] collectedTopTokens(long model);

    /** The same rows' log-probabilities: {@code [the chosen token's, the n top tokens']} each. */
    public static native float[] collectedLogprobs(long model);

    public static native void freeModel(long model);
}
