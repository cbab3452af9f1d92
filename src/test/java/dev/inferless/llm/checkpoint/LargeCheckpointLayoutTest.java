package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.inferless.llm.checkpoint.synthetic.CheckpointMaker;
import dev.inferless.llm.checkpoint.synthetic.ModelShapes;
import dev.inferless.llm.checkpoint.synthetic.SafetensorsWriter;
import dev.inferless.llm.checkpoint.synthetic.ShardedSafetensorsWriter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
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
        CheckpointMaker.writeMetadata(o, dir);
        List<List<SafetensorsWriter.Entry>> shards =
                ShardedSafetensorsWriter.plan(CheckpointMaker.tensorEntries(o), o.maxShardBytes());
        ObjectNode index = JsonFiles.JSON.createObjectNode();
        ObjectNode weightMap = index.putObject("weight_map");
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
            ByteBuffer header = SafetensorsWriter.header(shards.get(i));
            long data = shards.get(i).stream().mapToLong(SafetensorsWriter.Entry::bytes).sum();
            try (RandomAccessFile file = new RandomAccessFile(dir.resolve(name).toFile(), "rw")) {
                file.write(header.array(), 0, header.limit());
                file.setLength(header.limit() + data); // sparse: no data written
            }
            shards.get(i).forEach(e -> weightMap.put(e.name(), name));
            total += data;
        }
        JsonFiles.JSON.writeValue(dir.resolve(MappedTensorStore.INDEX_FILE).toFile(), index);

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
