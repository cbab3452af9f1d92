package dev.inferless.llm.model.fast;

import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.checkpoint.Quantization;

import java.util.Optional;

/**
 * Whether the fast path (libllm_ops on CUDA) serves a checkpoint, or why not; the portable path
 * serves it otherwise, behind the same interfaces.
 */
public final class FastPathSupport {

    private FastPathSupport() {}

    /** Empty when the fast path applies; else the reason it does not. */
    public static Optional<String> whyNot(String device, boolean libraryLoaded, boolean cudaAvailable,
                                          Quantization quantization, LlamaConfig config) {
        if ("cpu".equals(device)) return Optional.of("device is cpu");
        if (!libraryLoaded) return Optional.of("libllm_ops is not loaded (set inferless.llmops.library)");
        if (!cudaAvailable) return Optional.of("no CUDA device");
        if (config.numHeads() % config.numKvHeads() != 0) {
            return Optional.of("num_attention_heads is not a multiple of num_key_value_heads");
        }
        int headDim = config.headDim();
        if (headDim != 32 && headDim != 64 && headDim != 128) {
            return Optional.of("head_dim " + headDim + " (the decode attention kernel takes 32, 64 and 128)");
        }
        if (quantization instanceof Quantization.Gptq g && g.bits() != 2 && g.bits() != 4 && g.bits() != 8) {
            return Optional.of("GPTQ bits " + g.bits() + " (the fast path takes 2, 4 and 8)");
        }
        if (quantization instanceof Quantization.Awq a) {
            if (a.bits() != 4) return Optional.of("AWQ bits " + a.bits() + " (the fast path takes 4)");
            if (!a.zeroPoint()) return Optional.of("AWQ without zero points");
        }
        return Optional.empty();
    }
}
