package dev.inferless.llm.checkpoint.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.inferless.llm.checkpoint.MappedTensorStore;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a checkpoint's tensors as Hugging Face does: one model.safetensors when everything fits
 * in one shard, else model-0000i-of-0000n.safetensors shards plus model.safetensors.index.json.
 * Tensors are written in declaration order, each once.
 */
public final class ShardedSafetensorsWriter implements AutoCloseable {

    public static final long DEFAULT_SHARD_BYTES = 4L << 30;

    private final Path dir;
    private final List<List<SafetensorsWriter.Entry>> shards;
    private final List<String> fileNames;
    private int shard = -1;
    private int writtenInShard;
    private SafetensorsWriter current;

    private ShardedSafetensorsWriter(Path dir, List<List<SafetensorsWriter.Entry>> shards) {
        this.dir = dir;
        this.shards = shards;
        this.fileNames = new ArrayList<>();
        for (int i = 0; i < shards.size(); i++) {
            fileNames.add(shards.size() == 1 ? MappedTensorStore.SINGLE_FILE
                    : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size()));
        }
    }

    public static ShardedSafetensorsWriter create(Path dir, List<SafetensorsWriter.Entry> entries, long maxShardBytes) {
        ShardedSafetensorsWriter writer = new ShardedSafetensorsWriter(dir, plan(entries, maxShardBytes));
        if (writer.shards.size() > 1) writer.writeIndex();
        return writer;
    }

    /**
     * The files {@link #create} would write, at full size but sparse: headers and index written, every
     * tensor's bytes left unwritten (they read as zeros).
     */
    public static void writeLayout(Path dir, List<SafetensorsWriter.Entry> entries, long maxShardBytes) {
        ShardedSafetensorsWriter writer = new ShardedSafetensorsWriter(dir, plan(entries, maxShardBytes));
        if (writer.shards.size() > 1) writer.writeIndex();
        for (int i = 0; i < writer.shards.size(); i++) {
            ByteBuffer header = SafetensorsWriter.header(writer.shards.get(i));
            long data = writer.shards.get(i).stream().mapToLong(SafetensorsWriter.Entry::bytes).sum();
            Path file = dir.resolve(writer.fileNames.get(i));
            try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
                out.write(header.array(), header.arrayOffset() + header.position(), header.remaining());
                out.setLength(header.remaining() + data);
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": cannot write", e);
            }
        }
    }

    /** Greedy: a tensor opens a new shard when it would push the current one past the limit. */
    public static List<List<SafetensorsWriter.Entry>> plan(List<SafetensorsWriter.Entry> entries, long maxShardBytes) {
        List<List<SafetensorsWriter.Entry>> shards = new ArrayList<>();
        List<SafetensorsWriter.Entry> shard = new ArrayList<>();
        long bytes = 0;
        for (SafetensorsWriter.Entry e : entries) {
            if (!shard.isEmpty() && bytes + e.bytes() > maxShardBytes) {
                shards.add(shard);
                shard = new ArrayList<>();
                bytes = 0;
            }
            shard.add(e);
            bytes += e.bytes();
        }
        shards.add(shard);
        return shards;
    }

    public void write(String name, ByteBuffer data) {
        while (current == null || writtenInShard == shards.get(shard).size()) {
            nextShard();
        }
        current.write(name, data);
        writtenInShard++;
    }

    @Override
    public void close() {
        if (current != null) current.close();
        current = null;
        if (shard < shards.size() - 1 || writtenInShard != shards.get(shards.size() - 1).size()) {
            throw new IllegalStateException(dir + ": closed before every declared tensor was written");
        }
    }

    private void nextShard() {
        if (current != null) current.close();
        shard++;
        writtenInShard = 0;
        if (shard >= shards.size()) {
            throw new IllegalStateException(dir + ": more tensors written than declared");
        }
        current = SafetensorsWriter.create(dir.resolve(fileNames.get(shard)), shards.get(shard));
    }

    private void writeIndex() {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        long total = shards.stream().flatMap(List::stream).mapToLong(SafetensorsWriter.Entry::bytes).sum();
        root.putObject("metadata").put("total_size", total);
        ObjectNode weightMap = root.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            for (SafetensorsWriter.Entry e : shards.get(i)) weightMap.put(e.name(), fileNames.get(i));
        }
        try {
            json.writeValue(dir.resolve(MappedTensorStore.INDEX_FILE).toFile(), root);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write " + MappedTensorStore.INDEX_FILE, e);
        }
    }
}
