package dev.inferless.llm.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The header of one safetensors file, read and validated: 8-byte little-endian length, JSON
 * {name: {dtype, shape, data_offsets}}, offsets relative to the end of the header. Every error
 * names the file, and the tensor where one is at fault.
 */
final class SafetensorsHeader {

    /** The safetensors library refuses headers above 100 MB; so do we. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsHeader() {}

    /** The tensors of {@code file}, in data order, with absolute file offsets. */
    static List<TensorInfo> read(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw error(file, "truncated: " + fileSize + " bytes, no room for the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > fileSize - 8) {
                throw error(file, "bad header length " + headerLength + " (file has " + fileSize + " bytes)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8);
            String json = new String(header.array(), StandardCharsets.UTF_8);
            return parse(file, json, 8 + headerLength, fileSize);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read safetensors file: " + e.getMessage(), e);
        }
    }

    /** Validates a header's JSON against the file it came from; data starts at {@code dataStart}. */
    static List<TensorInfo> parse(Path file, String json, long dataStart, long fileSize) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw error(file, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw error(file, "header is not a JSON object");
        }
        long dataSize = fileSize - dataStart;
        List<TensorInfo> tensors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getKey().equals("__metadata__")) continue;
            tensors.add(tensor(file, entry.getKey(), entry.getValue(), dataStart, dataSize));
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::offset));
        checkNoOverlap(file, tensors);
        return tensors;
    }

    private static TensorInfo tensor(Path file, String name, JsonNode node, long dataStart, long dataSize) {
        if (!node.isObject()) {
            throw error(file, name, "entry is not an object");
        }
        DType dtype = dtype(file, name, node.get("dtype"));
        long[] shape = shape(file, name, node.get("shape"));
        JsonNode offsets = node.get("data_offsets");
        if (offsets == null || !offsets.isArray() || offsets.size() != 2
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw error(file, name, "data_offsets must be [begin, end], got " + offsets);
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin) {
            throw error(file, name, "data_offsets [" + begin + ", " + end + "] are not an ascending pair");
        }
        if (end > dataSize) {
            throw error(file, name, "data_offsets [" + begin + ", " + end + "] extend beyond the data section ("
                    + dataSize + " bytes): file truncated or header corrupt");
        }
        long expected;
        try {
            long elements = 1;
            for (long d : shape) elements = Math.multiplyExact(elements, d);
            expected = Math.multiplyExact(elements, dtype.bytes);
        } catch (ArithmeticException e) {
            throw error(file, name, "shape " + java.util.Arrays.toString(shape) + " is too large");
        }
        if (end - begin != expected) {
            throw error(file, name, "shape " + java.util.Arrays.toString(shape) + " x " + dtype + " is "
                    + expected + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, file, dataStart + begin, end - begin);
    }

    private static DType dtype(Path file, String name, JsonNode node) {
        if (node == null || !node.isTextual()) {
            throw error(file, name, "missing dtype");
        }
        try {
            return DType.valueOf(node.asText());
        } catch (IllegalArgumentException e) {
            throw error(file, name, "unknown dtype '" + node.asText() + "'");
        }
    }

    private static long[] shape(Path file, String name, JsonNode node) {
        if (node == null || !node.isArray()) {
            throw error(file, name, "shape must be an array, got " + node);
        }
        long[] shape = new long[node.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = node.get(i);
            if (!d.canConvertToLong() || d.asLong() < 0) {
                throw error(file, name, "shape " + node + " has a bad dimension " + d);
            }
            shape[i] = d.asLong();
        }
        return shape;
    }

    private static void checkNoOverlap(Path file, List<TensorInfo> sorted) {
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo previous = sorted.get(i - 1);
            TensorInfo current = sorted.get(i);
            if (current.offset() < previous.offset() + previous.length()) {
                throw error(file, current.name(), "data overlaps tensor '" + previous.name() + "'");
            }
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer target, long position) throws IOException {
        while (target.hasRemaining()) {
            int n = channel.read(target, position + target.position());
            if (n < 0) throw new IOException("unexpected end of file");
        }
    }

    private static IllegalArgumentException error(Path file, String message) {
        return new IllegalArgumentException(file + ": " + message);
    }

    private static IllegalArgumentException error(Path file, String tensor, String message) {
        return new IllegalArgumentException(file + ": tensor '" + tensor + "': " + message);
    }
}
