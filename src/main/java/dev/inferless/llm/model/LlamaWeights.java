package dev.inferless.llm.model;

import ai.djl.ndarray.NDArray;
import dev.inferless.llm.ops.LinearOp;

import java.util.List;

/** All weights of a Llama model on the device. With tied embeddings, lmHead reads the embedding matrix. */
record LlamaWeights(NDArray embeddings, List<LayerWeights> layers, NDArray finalNorm, LinearOp lmHead)
        implements AutoCloseable {

    @Override
    public void close() {
        layers.forEach(LayerWeights::close);
        finalNorm.close();
        lmHead.close();
        embeddings.close();
    }
}
