package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.synthetic.SafetensorsWriter;
import dev.inferless.llm.checkpoint.synthetic.ShardedSafetensorsWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    private static ByteBuffer randomBytes(long n, long seed) {
        byte[] b = new byte[(int) n];
        new SplittableRandom(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    @Test
    void writtenTensorsReadBackByteForByte() {
        List<SafetensorsWriter.Entry> entries = List.of(
                new SafetensorsWriter.Entry("a", DType.F16, new long[] {3, 5}),
                new SafetensorsWriter.Entry("b.weight", DType.I32, new long[] {7}),
                new SafetensorsWriter.Entry("empty", DType.F32, new long[] {0, 4}),
                new SafetensorsWriter.Entry("c", DType.BF16, new long[] {2, 2, 2}));
        List<ByteBuffer> data = new ArrayList<>();
        try (SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("model.safetensors"), entries)) {
            for (int i = 0; i < entries.size(); i++) {
                data.add(randomBytes(entries.get(i).bytes(), i));
                w.write(entries.get(i).name(), data.get(i));
            }
        }
        try (MappedTensorStore store = MappedTensorStore.open(dir)) {
            assertThat(store.names()).containsExactlyInAnyOrder("a", "b.weight", "empty", "c");
            assertThat(store.info("a").offset() % 8).as("data section starts aligned").isZero();
            for (int i = 0; i < entries.size(); i++) {
                TensorInfo info = store.info(entries.get(i).name());
                assertThat(info.dtype()).isEqualTo(entries.get(i).dtype());
                assertThat(info.shape()).containsExactly(entries.get(i).shape());
                ByteBuffer bytes = store.bytes(info.name());
                assertThat(bytes.isReadOnly()).isTrue();
                assertThat(bytes.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
                assertThat(bytes).isEqualTo(data.get(i).rewind());
            }
            assertThatThrownBy(() -> store.info("nope")).hasMessageContaining("'nope'");
        }
    }

    @Test
    void shardedWriterSplitsAndIndexesAndReaderFollowsTheIndex() throws IOException {
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 10; i++) entries.add(new SafetensorsWriter.Entry("t" + i, DType.F32, new long[] {100}));
        try (ShardedSafetensorsWriter w = ShardedSafetensorsWriter.create(dir, entries, 1000)) {
            for (int i = 0; i < 10; i++) w.write("t" + i, randomBytes(400, i));
        }
        assertThat(dir.resolve("model-00001-of-00005.safetensors")).exists();
        assertThat(dir.resolve("model-00005-of-00005.safetensors")).exists();
        assertThat(Files.readString(dir.resolve("model.safetensors.index.json"))).contains("\"total_size\" : 4000");
        try (MappedTensorStore store = MappedTensorStore.open(dir)) {
            assertThat(store.names()).hasSize(10);
            assertThat(store.info("t9").file().getFileName().toString()).isEqualTo("model-00005-of-00005.safetensors");
            assertThat(store.bytes("t7")).isEqualTo(randomBytes(400, 7));
        }
    }

    @Test
    void indexNamingATensorItsShardLacksIsAnError() throws IOException {
        writeRaw(dir.resolve("a.safetensors"), "{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"x\":\"a.safetensors\",\"y\":\"a.safetensors\"}}");
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("'y'").hasMessageContaining("a.safetensors");
    }

    @Test
    void truncatedFileNamesFileAndTensor() throws IOException {
        Path file = dir.resolve("model.safetensors");
        writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16);
        byte[] all = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(all, all.length - 3));
        assertThatThrownBy(() -> MappedTensorStore.open(dir))
                .hasMessageContaining("model.safetensors").hasMessageContaining("'w'").hasMessageContaining("truncated");
    }

    @Test
    void fileShorterThanTheLengthFieldIsAnError() throws IOException {
        Files.write(dir.resolve("model.safetensors"), new byte[5]);
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("model.safetensors")
                .hasMessageContaining("truncated");
    }

    @Test
    void headerLengthBeyondTheFileOrNegativeIsAnError() throws IOException {
        for (long length : new long[] {1L << 40, -5, 0, 1000}) {
            ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(length);
            Files.write(dir.resolve("model.safetensors"), b.array());
            assertThatThrownBy(() -> MappedTensorStore.open(dir))
                    .hasMessageContaining("model.safetensors").hasMessageContaining("bad header length " + length);
        }
    }

    @Test
    void headerThatIsNotJsonIsAnError() throws IOException {
        writeRaw(dir.resolve("model.safetensors"), "{\"w\": {\"dtype\": ", 0);
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("not valid JSON");
        writeRaw(dir.resolve("model.safetensors"), "[1, 2]", 0);
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("not a JSON object");
    }

    @Test
    void unknownDtypeNamesTensorAndDtype() throws IOException {
        writeRaw(dir.resolve("model.safetensors"), "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4);
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("'w'").hasMessageContaining("F8_E4M3");
    }

    @Test
    void shapeThatDisagreesWithOffsetsIsAnError() throws IOException {
        writeRaw(dir.resolve("model.safetensors"), "{\"w\":{\"dtype\":\"F16\",\"shape\":[3,4],\"data_offsets\":[0,16]}}", 24);
        assertThatThrownBy(() -> MappedTensorStore.open(dir))
                .hasMessageContaining("'w'").hasMessageContaining("24 bytes").hasMessageContaining("span 16");
    }

    @Test
    void badOffsetsAreErrors() throws IOException {
        writeRaw(dir.resolve("model.safetensors"), "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8);
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("'w'").hasMessageContaining("ascending");
        writeRaw(dir.resolve("model.safetensors"), "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 8);
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("'w'").hasMessageContaining("data_offsets");
        writeRaw(dir.resolve("model.safetensors"), "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 8);
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("'w'").hasMessageContaining("shape");
    }

    @Test
    void overlappingTensorsAreAnError() throws IOException {
        writeRaw(dir.resolve("model.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("'b'").hasMessageContaining("overlaps tensor 'a'");
    }

    @Test
    void directoryWithoutSafetensorsIsAnError() {
        assertThatThrownBy(() -> MappedTensorStore.open(dir)).hasMessageContaining("model.safetensors");
    }

    @Test
    void writerRefusesTensorsOutOfDeclaredOrderOrSize() {
        List<SafetensorsWriter.Entry> entries = List.of(new SafetensorsWriter.Entry("a", DType.F32, new long[] {2}));
        SafetensorsWriter w = SafetensorsWriter.create(dir.resolve("x.safetensors"), entries);
        assertThatThrownBy(() -> w.write("b", ByteBuffer.allocate(8))).hasMessageContaining("expected tensor 'a'");
        assertThatThrownBy(() -> w.write("a", ByteBuffer.allocate(4))).hasMessageContaining("8 bytes");
        assertThatThrownBy(w::close).hasMessageContaining("missing 'a'");
    }

    /** A safetensors file with the given header and {@code dataBytes} of zeros. */
    static void writeRaw(Path file, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Files.write(file, b.array());
    }
}
