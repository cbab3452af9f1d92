package dev.inferless.llm.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Tensors of one or several safetensors files, memory-mapped. Each tensor is mapped on its own
 * (tensors stay below 2 GiB even where a shard is ~10 GB, and one map is limited to 2 GiB).
 */
public final class MappedTensorStore implements TensorStore {

    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String SINGLE_FILE = "model.safetensors";

    private static final System.Logger LOG = System.getLogger(MappedTensorStore.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, TensorInfo> tensors;
    private final Map<Path, FileChannel> channels;
    private final Map<String, ByteBuffer> mapped = new ConcurrentHashMap<>();

    private MappedTensorStore(Map<String, TensorInfo> tensors, Map<Path, FileChannel> channels) {
        this.tensors = tensors;
        this.channels = channels;
    }

    /** The index's shards if {@value #INDEX_FILE} exists, else model.safetensors, else the only *.safetensors. */
    static MappedTensorStore open(Path dir) {
        long start = System.nanoTime();
        Path index = dir.resolve(INDEX_FILE);
        Map<String, String> weightMap = Files.exists(index) ? readWeightMap(index) : null;
        List<Path> files = weightMap != null
                ? weightMap.values().stream().distinct().sorted().map(dir::resolve).toList()
                : List.of(singleFile(dir));
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Path file : files) {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(index + ": weight_map names missing file " + file.getFileName());
            }
            for (TensorInfo t : SafetensorsHeader.read(file)) {
                TensorInfo earlier = tensors.putIfAbsent(t.name(), t);
                if (earlier != null) {
                    throw new IllegalArgumentException("tensor '" + t.name() + "' is in both " + earlier.file()
                            + " and " + file);
                }
            }
        }
        if (weightMap != null) checkWeightMap(index, dir, weightMap, tensors);
        MappedTensorStore store = new MappedTensorStore(Collections.unmodifiableMap(tensors), openChannels(files));
        long bytes = tensors.values().stream().mapToLong(TensorInfo::length).sum();
        LOG.log(Level.INFO, "checkpoint {0}: {1} tensors, {2} MB in {3} file(s), headers read in {4} ms",
                dir, tensors.size(), bytes >> 20, files.size(), (System.nanoTime() - start) / 1_000_000);
        return store;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException("missing tensor '" + name + "'");
        }
        return info;
    }

    @Override
    public ByteBuffer bytes(String name) {
        ByteBuffer buffer = mapped.computeIfAbsent(name, n -> map(info(n)));
        return buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() {
        for (FileChannel channel : channels.values()) {
            try {
                channel.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "closing " + channel, e);
            }
        }
        mapped.clear();
    }

    private ByteBuffer map(TensorInfo info) {
        FileChannel channel = channels.get(info.file());
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, info.offset(), info.length());
        } catch (IOException e) {
            throw new UncheckedIOException(info.file() + ": cannot map tensor '" + info.name() + "'", e);
        }
    }

    private static Path singleFile(Path dir) {
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) return single;
        List<Path> candidates;
        try (Stream<Path> list = Files.list(dir)) {
            candidates = list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new IllegalArgumentException(dir + ": cannot list checkpoint directory: " + e.getMessage(), e);
        }
        if (candidates.size() != 1) {
            throw new IllegalArgumentException(dir + ": expected " + INDEX_FILE + ", " + SINGLE_FILE
                    + " or exactly one *.safetensors file, found " + candidates.size());
        }
        return candidates.get(0);
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new IllegalArgumentException(index + ": weight_map missing or empty");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        map.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException(index + ": weight_map entry '" + e.getKey() + "' is not a file name");
            }
            weightMap.put(e.getKey(), e.getValue().asText());
        });
        return weightMap;
    }

    private static void checkWeightMap(Path index, Path dir, Map<String, String> weightMap,
                                       Map<String, TensorInfo> tensors) {
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            TensorInfo t = tensors.get(e.getKey());
            Path expected = dir.resolve(e.getValue());
            if (t == null || !t.file().equals(expected)) {
                throw new IllegalArgumentException(index + ": weight_map puts tensor '" + e.getKey() + "' in "
                        + e.getValue() + " but that file does not hold it");
            }
        }
    }

    private static Map<Path, FileChannel> openChannels(List<Path> files) {
        Map<Path, FileChannel> channels = new LinkedHashMap<>();
        try {
            for (Path file : files) channels.put(file, FileChannel.open(file, StandardOpenOption.READ));
        } catch (IOException e) {
            channels.values().forEach(c -> { try { c.close(); } catch (IOException ignored) { } });
            throw new UncheckedIOException("cannot open checkpoint files", e);
        }
        return channels;
    }
}
