package dev.inferless.llm.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prefetching touches every group and leaves the tensors' bytes as they are. */
class TensorPrefetcherTest {

    @Test
    void touchesEveryGroupWithoutChangingTheBytes(@TempDir Path dir) throws Exception {
        CheckpointMaker.make("tiny", "gptq", 4, 32, true, 3, dir);
        try (MappedTensorStore store = MappedTensorStore.open(dir)) {
            List<List<String>> groups = List.of(
                    store.names().stream().filter(n -> n.startsWith("model.layers.0.")).toList(),
                    store.names().stream().filter(n -> n.startsWith("model.layers.1.")).toList());
            Map<String, ByteBuffer> before = new HashMap<>();
            groups.forEach(g -> g.forEach(n -> before.put(n, copy(store.bytes(n)))));
            try (TensorPrefetcher prefetch = new TensorPrefetcher(store, groups, 2)) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (prefetch.done() < groups.size() && System.nanoTime() < deadline) Thread.sleep(5);
                assertThat(prefetch.done()).isEqualTo(groups.size());
            }
            before.forEach((name, bytes) -> assertThat(store.bytes(name)).isEqualTo(bytes));
        }
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer c = ByteBuffer.allocate(b.remaining());
        c.put(b.duplicate()).flip();
        return c;
    }
}
