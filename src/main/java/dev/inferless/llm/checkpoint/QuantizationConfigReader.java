package dev.inferless.llm.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Finds how a checkpoint is quantized: quantize_config.json (AutoGPTQ), quantization_config in
 * config.json (transformers; gptq or awq), or quant_config.json (older AutoAWQ); else unquantized.
 * Anything we cannot run exactly is rejected with the field and value at fault.
 */
public final class QuantizationConfigReader {

    public static final String GPTQ_FILE = "quantize_config.json";
    static final String AWQ_FILE = "quant_config.json";

    private QuantizationConfigReader() {}

    static Quantization read(Path dir, Path configFile, JsonNode config) {
        Path gptqFile = dir.resolve(GPTQ_FILE);
        if (Files.exists(gptqFile)) {
            JsonNode node = JsonFiles.read(gptqFile);
            return byMethod(gptqFile, node, JsonFiles.optionalText(gptqFile, node, "quant_method", "gptq"));
        }
        JsonNode embedded = config.get("quantization_config");
        if (embedded != null && !embedded.isNull()) {
            String where = configFile + " quantization_config";
            Path source = Path.of(where);
            if (!embedded.isObject()) {
                throw new IllegalArgumentException(where + ": not a JSON object");
            }
            return byMethod(source, embedded, JsonFiles.optionalText(source, embedded, "quant_method", null));
        }
        Path awqFile = dir.resolve(AWQ_FILE);
        if (Files.exists(awqFile)) {
            return legacyAwq(awqFile, JsonFiles.read(awqFile));
        }
        return new Quantization.None();
    }

    private static Quantization byMethod(Path source, JsonNode node, String method) {
        if ("gptq".equals(method)) return gptq(source, node);
        if ("awq".equals(method)) return awq(source, node);
        throw new IllegalArgumentException(source + ": quant_method " + method + " is not supported (gptq or awq)");
    }

    static Quantization.Gptq gptq(Path source, JsonNode node) {
        if (JsonFiles.optionalBoolean(source, node, "is_marlin_format", false)) {
            throw new IllegalArgumentException(source + ": is_marlin_format true is not supported: the weights are"
                    + " repacked for the Marlin kernel; use the plain GPTQ checkpoint");
        }
        String format = JsonFiles.optionalText(source, node, "checkpoint_format",
                JsonFiles.optionalText(source, node, "format", "gptq"));
        boolean v2;
        switch (format.toLowerCase(Locale.ROOT)) {
            case "gptq" -> v2 = false;
            case "gptq_v2" -> v2 = true;
            case "marlin" -> throw new IllegalArgumentException(source + ": checkpoint_format marlin is not supported:"
                    + " the weights are repacked for the Marlin kernel; use the plain GPTQ checkpoint");
            default -> throw new IllegalArgumentException(source + ": checkpoint_format " + format
                    + " is not supported (gptq or gptq_v2)");
        }
        int bits = JsonFiles.requiredInt(source, node, "bits");
        if (bits != 4 && bits != 8) {
            throw new IllegalArgumentException(source + ": bits " + bits + " is not supported (4 or 8)");
        }
        int groupSize = JsonFiles.optionalInt(source, node, "group_size", -1);
        if (groupSize != -1 && groupSize <= 0) {
            throw new IllegalArgumentException(source + ": group_size " + groupSize + " is not supported (-1 or > 0)");
        }
        // static_groups only changes how groups were chosen at quantization time; g_idx records the result.
        return new Quantization.Gptq(bits, groupSize,
                JsonFiles.optionalBoolean(source, node, "desc_act", false),
                JsonFiles.optionalBoolean(source, node, "sym", true),
                v2);
    }

    static Quantization.Awq awq(Path source, JsonNode node) {
        return awq(source, JsonFiles.requiredInt(source, node, "bits"), "bits",
                JsonFiles.requiredInt(source, node, "group_size"), "group_size",
                JsonFiles.optionalBoolean(source, node, "zero_point", true),
                JsonFiles.optionalText(source, node, "version", "gemm"));
    }

    private static Quantization.Awq legacyAwq(Path source, JsonNode node) {
        return awq(source, JsonFiles.requiredInt(source, node, "w_bit"), "w_bit",
                JsonFiles.requiredInt(source, node, "q_group_size"), "q_group_size",
                JsonFiles.optionalBoolean(source, node, "zero_point", true),
                JsonFiles.optionalText(source, node, "version", "GEMM"));
    }

    private static Quantization.Awq awq(Path source, int bits, String bitsField, int groupSize, String groupField,
                                        boolean zeroPoint, String version) {
        if (!version.equalsIgnoreCase("gemm")) {
            throw new IllegalArgumentException(source + ": version " + version + " is not supported (only GEMM;"
                    + " GEMV stores the weight transposed with a different packing)");
        }
        if (bits != 4) {
            throw new IllegalArgumentException(source + ": " + bitsField + " " + bits + " is not supported (4)");
        }
        if (groupSize <= 0) {
            throw new IllegalArgumentException(source + ": " + groupField + " " + groupSize
                    + " is not supported (> 0)");
        }
        if (!zeroPoint) {
            throw new IllegalArgumentException(source + ": zero_point false is not supported (true)");
        }
        return new Quantization.Awq(bits, groupSize, true);
    }
}
