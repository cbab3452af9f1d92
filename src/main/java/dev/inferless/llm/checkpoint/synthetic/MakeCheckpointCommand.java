package dev.inferless.llm.checkpoint.synthetic;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code make-checkpoint}: writes a random Llama checkpoint in the Hugging Face layout. */
@Command(name = "make-checkpoint", mixinStandardHelpOptions = true,
        description = "Write a random Llama checkpoint (HF layout; fp32/fp16/bf16, or GPTQ/AWQ packed by our own"
                + " round-to-nearest quantizer).")
public final class MakeCheckpointCommand implements Callable<Integer> {

    @Option(names = "--shape", defaultValue = "tiny", description = "tiny or codellama-34b (default: ${DEFAULT-VALUE})")
    String shape;

    @Option(names = "--format", defaultValue = "fp16", description = "fp32, fp16, bf16, gptq or awq (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--bits", defaultValue = "4", description = "4 or 8 for gptq, 4 for awq (default: ${DEFAULT-VALUE})")
    int bits;

    @Option(names = "--group-size", defaultValue = "128",
            description = "quantization group size, -1 for one group (gptq); must divide every in_features;"
                    + " tiny takes 32, 64 or 128 (default: ${DEFAULT-VALUE})")
    int groupSize;

    @Option(names = "--act-order", description = "gptq: desc_act with a non-monotonic g_idx")
    boolean actOrder;

    @Option(names = "--asym", description = "gptq: asymmetric zero points (default symmetric)")
    boolean asym;

    @Option(names = "--gptq-v2", description = "gptq: checkpoint_format gptq_v2 (zeros stored without the -1 offset)")
    boolean v2;

    @Option(names = "--seed", defaultValue = "0", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, description = "output directory")
    Path out;

    @Option(names = "--layout-only", description = "the files at full size but sparse, weights unwritten (zeros):"
            + " for checking a loader, or the disk a shape needs, without making the weights")
    boolean layoutOnly;

    @Override
    public Integer call() {
        if (layoutOnly) {
            CheckpointMaker.makeLayout(new CheckpointMaker.Options(shape, format, bits, groupSize, actOrder, !asym, v2, seed,
                    ShardedSafetensorsWriter.DEFAULT_SHARD_BYTES), out);
        } else {
            CheckpointMaker.make(shape, format, bits, groupSize, actOrder, !asym, v2, seed, out);
        }
        return 0;
    }
}
