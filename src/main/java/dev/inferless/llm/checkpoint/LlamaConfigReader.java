package dev.inferless.llm.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;

/** config.json (Llama family) into {@link LlamaConfig}, generation_config.json into {@link GenerationConfig}. */
final class LlamaConfigReader {

    private LlamaConfigReader() {}

    static LlamaConfig read(Path file) {
        return parse(file, JsonFiles.read(file));
    }

    static LlamaConfig parse(Path file, JsonNode c) {
        checkLlama(file, c);
        int hidden = positive(file, "hidden_size", JsonFiles.requiredInt(file, c, "hidden_size"));
        int heads = positive(file, "num_attention_heads", JsonFiles.requiredInt(file, c, "num_attention_heads"));
        int kvHeads = positive(file, "num_key_value_heads", JsonFiles.optionalInt(file, c, "num_key_value_heads", heads));
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException(file + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (c.get("head_dim") == null && hidden % heads != 0) {
            throw new IllegalArgumentException(file + ": hidden_size " + hidden
                    + " is not a multiple of num_attention_heads " + heads);
        }
        int headDim = positive(file, "head_dim", JsonFiles.optionalInt(file, c, "head_dim", hidden / heads));
        return new LlamaConfig(
                hidden,
                positive(file, "intermediate_size", JsonFiles.requiredInt(file, c, "intermediate_size")),
                positive(file, "num_hidden_layers", JsonFiles.requiredInt(file, c, "num_hidden_layers")),
                heads,
                kvHeads,
                headDim,
                positive(file, "vocab_size", JsonFiles.requiredInt(file, c, "vocab_size")),
                positive(file, "max_position_embeddings", JsonFiles.optionalInt(file, c, "max_position_embeddings", 2048)),
                JsonFiles.optionalDouble(file, c, "rms_norm_eps", 1e-6),
                JsonFiles.optionalDouble(file, c, "rope_theta", 10000.0),
                ropeScalingFactor(file, c.get("rope_scaling")),
                JsonFiles.optionalBoolean(file, c, "tie_word_embeddings", false),
                JsonFiles.optionalInt(file, c, "bos_token_id", 1),
                eosTokenId(file, c.get("eos_token_id")));
    }

    /** generation_config.json when present; absent file or fields keep the defaults. */
    static GenerationConfig readGeneration(Path file) {
        GenerationConfig d = GenerationConfig.defaults();
        if (!Files.exists(file)) return d;
        JsonNode g = JsonFiles.read(file);
        return new GenerationConfig(
                JsonFiles.optionalDouble(file, g, "temperature", d.temperature()),
                JsonFiles.optionalDouble(file, g, "top_p", d.topP()),
                JsonFiles.optionalInt(file, g, "top_k", d.topK()),
                JsonFiles.optionalInt(file, g, "max_new_tokens", d.maxNewTokens()));
    }

    private static void checkLlama(Path file, JsonNode c) {
        String modelType = JsonFiles.optionalText(file, c, "model_type", null);
        if (!"llama".equals(modelType)) {
            throw new IllegalArgumentException(file + ": model_type " + modelType + " is not supported (only llama)");
        }
        JsonNode architectures = c.get("architectures");
        if (architectures != null && !architectures.isNull()) {
            boolean llama = architectures.isArray() && architectures.size() > 0;
            for (JsonNode a : architectures) llama &= a.isTextual() && a.asText().startsWith("Llama");
            if (!llama) {
                throw new IllegalArgumentException(file + ": architectures " + architectures
                        + " is not supported (only Llama*)");
            }
        }
    }

    /** Only linear scaling (positions divided by factor) is supported; others change the math. */
    private static double ropeScalingFactor(Path file, JsonNode scaling) {
        if (scaling == null || scaling.isNull()) return 1.0;
        JsonNode type = scaling.has("rope_type") ? scaling.get("rope_type") : scaling.get("type");
        JsonNode factor = scaling.get("factor");
        if (type == null || !"linear".equals(type.asText()) || factor == null || !factor.isNumber()
                || factor.asDouble() <= 0) {
            throw new IllegalArgumentException(file + ": rope_scaling " + scaling
                    + " is not supported (only null or {type: linear, factor > 0})");
        }
        return factor.asDouble();
    }

    /** eos_token_id may be a list (newer configs); the first is the one we stop on. */
    private static int eosTokenId(Path file, JsonNode eos) {
        if (eos == null || eos.isNull()) return 2;
        JsonNode first = eos.isArray() ? eos.get(0) : eos;
        if (first == null || !first.canConvertToInt() || !first.isIntegralNumber()) {
            throw new IllegalArgumentException(file + ": eos_token_id " + eos + " is not a token id or list of ids");
        }
        return first.asInt();
    }

    private static int positive(Path file, String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(file + ": field " + field + " must be positive, got " + value);
        }
        return value;
    }
}
