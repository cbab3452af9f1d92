package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.checkpoint.synthetic.ModelShapes;
import dev.inferless.llm.checkpoint.synthetic.ShardedSafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 34B GPTQ checkpoint's layout without its 18 GB of data: the maker's real configuration,
 * shard plan, headers and index, over sparse files. Opening it validates every header and every
 * tensor shape of the 34B model, and maps tensors that lie beyond 2 GiB in a shard.
 */
class LargeCheckpointLayoutTest {

    @TempDir
    Path dir;

    @Test
    void codellama34bGptqLayoutOpensAndMapsBeyondTwoGiB() throws IOException {
        CheckpointMaker.Options o = new CheckpointMaker.Options("codellama-34b", "gptq", 4, 128, true, true, false, 0,
                ShardedSafetensorsWriter.DEFAULT_SHARD_BYTES);
        CheckpointMaker.makeLayout(o, dir);
        long total = JsonFiles.JSON.readTree(dir.resolve(MappedTensorStore.INDEX_FILE).toFile())
                .path("metadata").path("total_size").asLong();
        List<Path> shards;
        try (var files = Files.list(dir)) {
            shards = files.filter(f -> f.getFileName().toString().matches("model-0000[1-5]-of-00005\\.safetensors")).toList();
        }
        assertThat(total).isBetween(17L << 30, 19L << 30);
        assertThat(shards).hasSize(5);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.config()).isEqualTo(ModelShapes.config("codellama-34b"));
            LinearWeight.Gptq down = (LinearWeight.Gptq) ckpt.linear("model.layers.47.mlp.down_proj", 22016, 8192);
            assertThat(down.qweight().shape()).containsExactly(2752, 8192);
            assertThat(down.scales().shape()).containsExactly(172, 8192);
            TensorInfo far = ckpt.tensors().names().stream().map(ckpt.tensors()::info)
                    .filter(t -> t.offset() > (3L << 30)).findFirst().orElseThrow();
            ByteBuffer bytes = ckpt.tensors().bytes(far.name());
            assertThat((long) bytes.remaining()).isEqualTo(far.length());
            assertThat(bytes.get(bytes.limit() - 1)).isZero();
        }
    }
}
