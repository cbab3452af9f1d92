package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.inferless.llm.checkpoint.synthetic.ModelShapes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigParsingTest {

    @TempDir
    Path dir;

    /** CodeLlama-34B-Python's config.json as published (the fields we read). */
    private static final String CODELLAMA = """
            {"architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
             "hidden_size": 8192, "initializer_range": 0.02, "intermediate_size": 22016,
             "max_position_embeddings": 16384, "model_type": "llama", "num_attention_heads": 64,
             "num_hidden_layers": 48, "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
             "rope_scaling": null, "rope_theta": 1000000, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
             "use_cache": true, "vocab_size": 32000}
            """;

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) JsonFiles.JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static LlamaConfig parse(ObjectNode node) {
        return LlamaConfigReader.parse(Path.of("config.json"), node);
    }

    @Test
    void codellamaConfigParsesToTheShapeWeMake() {
        assertThat(parse(json(CODELLAMA))).isEqualTo(ModelShapes.config("codellama-34b"));
    }

    @Test
    void defaultsEosListHeadDimAndLinearRopeScaling() {
        ObjectNode c = json(CODELLAMA);
        c.remove("num_key_value_heads");
        c.putArray("eos_token_id").add(7).add(2);
        c.putObject("rope_scaling").put("type", "linear").put("factor", 4.0);
        c.put("tie_word_embeddings", true);
        LlamaConfig config = parse(c);
        assertThat(config.numKvHeads()).isEqualTo(64);
        assertThat(config.headDim()).isEqualTo(128);
        assertThat(config.eosTokenId()).isEqualTo(7);
        assertThat(config.ropeScalingFactor()).isEqualTo(4.0);
        assertThat(config.tieWordEmbeddings()).isTrue();

        c.putObject("rope_scaling").put("rope_type", "linear").put("factor", 2.0);
        c.put("head_dim", 96);
        assertThat(parse(c).ropeScalingFactor()).isEqualTo(2.0);
        assertThat(parse(c).headDim()).isEqualTo(96);
    }

    @Test
    void unsupportedRopeScalingNamesFieldAndValue() {
        ObjectNode c = json(CODELLAMA);
        c.putObject("rope_scaling").put("type", "dynamic").put("factor", 2.0);
        assertThatThrownBy(() -> parse(c)).hasMessageContaining("rope_scaling").hasMessageContaining("dynamic");
        c.putObject("rope_scaling").put("rope_type", "llama3").put("factor", 8.0);
        assertThatThrownBy(() -> parse(c)).hasMessageContaining("rope_scaling").hasMessageContaining("llama3");
    }

    @Test
    void nonLlamaOrBrokenConfigsNameTheField() {
        ObjectNode mistral = json(CODELLAMA).put("model_type", "mistral");
        assertThatThrownBy(() -> parse(mistral)).hasMessageContaining("model_type mistral");
        ObjectNode arch = json(CODELLAMA);
        arch.putArray("architectures").add("MistralForCausalLM");
        assertThatThrownBy(() -> parse(arch)).hasMessageContaining("architectures").hasMessageContaining("Mistral");
        ObjectNode missing = json(CODELLAMA);
        missing.remove("hidden_size");
        assertThatThrownBy(() -> parse(missing)).hasMessageContaining("hidden_size");
        ObjectNode badHeads = json(CODELLAMA).put("num_key_value_heads", 7);
        assertThatThrownBy(() -> parse(badHeads)).hasMessageContaining("num_key_value_heads 7");
        ObjectNode text = json(CODELLAMA).put("vocab_size", "many");
        assertThatThrownBy(() -> parse(text)).hasMessageContaining("vocab_size");
    }

    @Test
    void generationConfigFieldsOrDefaults() throws IOException {
        Path file = dir.resolve("generation_config.json");
        assertThat(LlamaConfigReader.readGeneration(file)).isEqualTo(GenerationConfig.defaults());
        Files.writeString(file, "{\"bos_token_id\": 1, \"temperature\": 0.2, \"top_p\": 0.95}");
        assertThat(LlamaConfigReader.readGeneration(file)).isEqualTo(new GenerationConfig(0.2, 0.95, 0, 512));
        Files.writeString(file, "{\"top_k\": 40, \"max_new_tokens\": 64}");
        assertThat(LlamaConfigReader.readGeneration(file)).isEqualTo(new GenerationConfig(1.0, 1.0, 40, 64));
    }

    private Quantization quantization(String quantizeConfig, String quantizationConfig, String legacyAwq)
            throws IOException {
        if (quantizeConfig != null) Files.writeString(dir.resolve("quantize_config.json"), quantizeConfig);
        if (legacyAwq != null) Files.writeString(dir.resolve("quant_config.json"), legacyAwq);
        JsonNode config = quantizationConfig == null ? json(CODELLAMA)
                : json(CODELLAMA).set("quantization_config", json(quantizationConfig));
        return QuantizationConfigReader.read(dir, dir.resolve("config.json"), config);
    }

    @Test
    void noQuantizationConfigMeansUnquantized() throws IOException {
        assertThat(quantization(null, null, null)).isEqualTo(new Quantization.None());
    }

    @Test
    void thebloke_gptqVariantsParse() throws IOException {
        assertThat(quantization("""
                {"bits": 4, "group_size": 128, "damp_percent": 0.1, "desc_act": true, "static_groups": false,
                 "sym": true, "true_sequential": true, "model_name_or_path": null, "model_file_base_name": "model"}
                """, null, null)).isEqualTo(new Quantization.Gptq(4, 128, true, true, false));
        assertThat(quantization("{\"bits\": 8, \"group_size\": -1, \"desc_act\": true}", null, null))
                .isEqualTo(new Quantization.Gptq(8, -1, true, true, false));
        assertThat(quantization("{\"bits\": 4, \"group_size\": 32, \"sym\": false, \"checkpoint_format\": \"gptq_v2\","
                + " \"static_groups\": true}", null, null))
                .isEqualTo(new Quantization.Gptq(4, 32, false, false, true));
        assertThat(quantization("{\"bits\": 4, \"group_size\": 64, \"checkpoint_format\": \"gptq\"}", null, null))
                .isEqualTo(new Quantization.Gptq(4, 64, false, true, false));
    }

    @Test
    void gptqInConfigJsonParses() throws IOException {
        assertThat(quantization(null, "{\"quant_method\": \"gptq\", \"bits\": 4, \"group_size\": 128,"
                + " \"desc_act\": false, \"sym\": true}", null))
                .isEqualTo(new Quantization.Gptq(4, 128, false, true, false));
    }

    @Test
    void awqVariantsParse() throws IOException {
        assertThat(quantization(null, "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 128,"
                + " \"zero_point\": true, \"version\": \"gemm\"}", null))
                .isEqualTo(new Quantization.Awq(4, 128, true));
        assertThat(quantization(null, null, "{\"w_bit\": 4, \"q_group_size\": 64, \"zero_point\": true,"
                + " \"version\": \"GEMM\"}"))
                .isEqualTo(new Quantization.Awq(4, 64, true));
    }

    @Test
    void marlinIsRejectedClearly() throws IOException {
        assertThatThrownBy(() -> quantization("{\"bits\": 4, \"group_size\": 128, \"checkpoint_format\": \"marlin\"}",
                null, null)).hasMessageContaining("checkpoint_format marlin");
        Files.delete(dir.resolve("quantize_config.json"));
        assertThatThrownBy(() -> quantization(null, "{\"quant_method\": \"gptq\", \"bits\": 4, \"group_size\": 128,"
                + " \"is_marlin_format\": true}", null)).hasMessageContaining("is_marlin_format");
    }

    @Test
    void awqGemvIsRejectedNamingVersion() throws IOException {
        assertThatThrownBy(() -> quantization(null, "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 128,"
                + " \"zero_point\": true, \"version\": \"gemv\"}", null)).hasMessageContaining("version gemv");
        assertThatThrownBy(() -> quantization(null, null, "{\"w_bit\": 4, \"q_group_size\": 128, \"zero_point\": true,"
                + " \"version\": \"GEMV\"}")).hasMessageContaining("version GEMV");
    }

    @Test
    void unsupportedValuesNameFieldAndValue() throws IOException {
        assertThatThrownBy(() -> quantization("{\"bits\": 3, \"group_size\": 128}", null, null))
                .hasMessageContaining("bits 3");
        assertThatThrownBy(() -> quantization("{\"bits\": 4, \"group_size\": 0}", null, null))
                .hasMessageContaining("group_size 0");
        assertThatThrownBy(() -> quantization("{\"bits\": 4, \"group_size\": 128, \"checkpoint_format\": \"exl2\"}",
                null, null)).hasMessageContaining("checkpoint_format exl2");
        Files.delete(dir.resolve("quantize_config.json"));
        assertThatThrownBy(() -> quantization(null, "{\"quant_method\": \"awq\", \"bits\": 8, \"group_size\": 128,"
                + " \"version\": \"gemm\"}", null)).hasMessageContaining("bits 8");
        assertThatThrownBy(() -> quantization(null, "{\"quant_method\": \"awq\", \"bits\": 4, \"group_size\": 128,"
                + " \"zero_point\": false, \"version\": \"gemm\"}", null)).hasMessageContaining("zero_point false");
        assertThatThrownBy(() -> quantization(null, "{\"quant_method\": \"bitsandbytes\", \"load_in_4bit\": true}",
                null)).hasMessageContaining("quant_method bitsandbytes");
        assertThatThrownBy(() -> quantization(null, null, "{\"w_bit\": 3, \"q_group_size\": 128, \"zero_point\": true,"
                + " \"version\": \"GEMM\"}")).hasMessageContaining("w_bit 3");
    }
}
