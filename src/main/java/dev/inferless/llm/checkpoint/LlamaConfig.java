package dev.inferless.llm.checkpoint;

/**
 * The Llama-family fields of a Hugging Face config.json. {@code ropeScalingFactor} is 1 without
 * rope scaling (only "linear" scaling is supported).
 */
public record LlamaConfig(
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int vocabSize,
        int maxPositions,
        double rmsNormEps,
        double ropeTheta,
        double ropeScalingFactor,
        boolean tieWordEmbeddings,
        int bosTokenId,
        int eosTokenId) {}
