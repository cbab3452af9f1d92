package dev.inferless.llm.checkpoint.synthetic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.inferless.llm.checkpoint.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;

/**
 * Writes one safetensors file as a stream: the header is written first from the declared
 * entries, then each tensor's bytes in the declared order, so a large file never sits in memory.
 */
public final class SafetensorsWriter implements AutoCloseable {

    /** A tensor to be written: its name, type and shape. */
    public record Entry(String name, DType dtype, long[] shape) {
        public long bytes() {
            long n = dtype.bytes;
            for (long d : shape) n *= d;
            return n;
        }
    }

    /** Large heap buffers are written in slices: the JDK copies each write into a direct buffer of its size. */
    private static final int WRITE_SLICE = 16 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final List<Entry> entries;
    private final FileChannel channel;
    private int next;

    private SafetensorsWriter(Path file, List<Entry> entries, FileChannel channel) {
        this.file = file;
        this.entries = entries;
        this.channel = channel;
    }

    public static SafetensorsWriter create(Path file, List<Entry> entries) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            SafetensorsWriter writer = new SafetensorsWriter(file, List.copyOf(entries), channel);
            writer.writeFully(header(entries));
            return writer;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write", e);
        }
    }

    /** Header JSON padded with spaces to a multiple of 8 bytes, so the data section is aligned. */
    public static ByteBuffer header(List<Entry> entries) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Entry e : entries) {
            ObjectNode node = root.putObject(e.name());
            node.put("dtype", e.dtype().name());
            ArrayNode shape = node.putArray("shape");
            for (long d : e.shape()) shape.add(d);
            node.putArray("data_offsets").add(offset).add(offset + e.bytes());
            offset += e.bytes();
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer buffer = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(padded).put(json);
        while (buffer.hasRemaining()) buffer.put((byte) ' ');
        return buffer.flip();
    }

    /** Writes the next declared tensor; its name and byte count must match the declaration. */
    public void write(String name, ByteBuffer data) {
        if (next >= entries.size()) {
            throw new IllegalStateException(file + ": tensor '" + name + "' was not declared");
        }
        Entry expected = entries.get(next);
        if (!expected.name().equals(name) || data.remaining() != expected.bytes()) {
            throw new IllegalStateException(file + ": expected tensor '" + expected.name() + "' of "
                    + expected.bytes() + " bytes, got '" + name + "' of " + data.remaining() + " bytes");
        }
        try {
            writeFully(data.duplicate());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write tensor '" + name + "'", e);
        }
        next++;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot close", e);
        }
        if (next != entries.size()) {
            throw new IllegalStateException(file + ": closed after " + next + " of " + entries.size()
                    + " tensors; missing '" + entries.get(next).name() + "'");
        }
    }

    private void writeFully(ByteBuffer data) throws IOException {
        while (data.hasRemaining()) {
            ByteBuffer slice = data.slice();
            slice.limit(Math.min(slice.remaining(), WRITE_SLICE));
            while (slice.hasRemaining()) channel.write(slice);
            data.position(data.position() + slice.limit());
        }
    }

    @Override
    public String toString() {
        return "SafetensorsWriter[" + file + ", " + Arrays.toString(entries.stream().map(Entry::name).toArray()) + "]";
    }
}
