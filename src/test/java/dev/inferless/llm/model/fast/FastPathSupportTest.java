package dev.inferless.llm.model.fast;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.llm.checkpoint.LlamaConfig;
import dev.inferless.llm.checkpoint.Quantization;
import org.junit.jupiter.api.Test;

class FastPathSupportTest {

    private static final LlamaConfig LLAMA =
            new LlamaConfig(8192, 22016, 48, 64, 8, 128, 32000, 16384, 1e-5, 1e6, 1.0, false, 1, 2);
    private static final Quantization GPTQ4 = new Quantization.Gptq(4, 128, true, true, false);

    @Test
    void usesTheFastPathForGptqOnCudaWithTheLibrary() {
        assertThat(FastPathSupport.whyNot("auto", true, true, GPTQ4, LLAMA)).isEmpty();
        assertThat(FastPathSupport.whyNot("gpu", true, true, new Quantization.Awq(4, 128, true), LLAMA)).isEmpty();
        assertThat(FastPathSupport.whyNot("gpu", true, true, new Quantization.None(), LLAMA)).isEmpty();
        assertThat(FastPathSupport.whyNot("gpu", true, true, new Quantization.Gptq(8, -1, true, true, false), LLAMA)).isEmpty();
    }

    @Test
    void fallsBackWithAReason() {
        assertThat(FastPathSupport.whyNot("cpu", true, true, GPTQ4, LLAMA)).hasValueSatisfying(r -> assertThat(r).contains("cpu"));
        assertThat(FastPathSupport.whyNot("auto", false, true, GPTQ4, LLAMA)).hasValueSatisfying(r -> assertThat(r).contains("not loaded"));
        assertThat(FastPathSupport.whyNot("auto", true, false, GPTQ4, LLAMA)).hasValueSatisfying(r -> assertThat(r).contains("CUDA"));
        assertThat(FastPathSupport.whyNot("gpu", true, true, new Quantization.Gptq(3, 128, false, true, false), LLAMA))
                .hasValueSatisfying(r -> assertThat(r).contains("bits 3"));
        assertThat(FastPathSupport.whyNot("gpu", true, true, new Quantization.Awq(4, 128, false), LLAMA))
                .hasValueSatisfying(r -> assertThat(r).contains("zero points"));
        LlamaConfig oddHeads = new LlamaConfig(8192, 22016, 48, 60, 8, 128, 32000, 16384, 1e-5, 1e6, 1.0, false, 1, 2);
        assertThat(FastPathSupport.whyNot("gpu", true, true, GPTQ4, oddHeads))
                .hasValueSatisfying(r -> assertThat(r).contains("num_key_value_heads"));
        LlamaConfig headDim96 = new LlamaConfig(6144, 16384, 4, 64, 8, 96, 32000, 4096, 1e-5, 1e4, 1.0, false, 1, 2);
        assertThat(FastPathSupport.whyNot("gpu", true, true, GPTQ4, headDim96))
                .hasValueSatisfying(r -> assertThat(r).contains("head_dim 96"));
    }
}
