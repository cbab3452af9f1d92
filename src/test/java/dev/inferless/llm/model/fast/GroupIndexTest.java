package dev.inferless.llm.model.fast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GroupIndexTest {

    private static ByteBuffer littleEndian(int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) b.putInt(v);
        return b.flip().order(ByteOrder.BIG_ENDIAN);  // the reader must not rely on the buffer's order
    }

    @Test
    void readsActOrderGroupIndexes() {
        Random random = new Random(7);
        int in = 256, groupSize = 32;
        int[] rank = random.ints(0, 1 << 20).distinct().limit(in).toArray();
        Integer[] order = new Integer[in];
        for (int k = 0; k < in; k++) order[k] = k;
        java.util.Arrays.sort(order, (a, b) -> Integer.compare(rank[a], rank[b]));
        int[] gIdx = new int[in];
        for (int r = 0; r < in; r++) gIdx[order[r]] = r / groupSize;

        int[] read = GroupIndex.read(littleEndian(gIdx), in, in / groupSize, "l.g_idx");
        assertThat(read).containsExactly(gIdx);
        assertThat(GroupIndex.inOrder(read, groupSize)).isFalse();
    }

    @Test
    void recognisesInOrderGroups() {
        int[] gIdx = new int[100];
        for (int k = 0; k < 100; k++) gIdx[k] = k / 32;
        assertThat(GroupIndex.inOrder(gIdx, 32)).isTrue();
        gIdx[40] = 0;
        assertThat(GroupIndex.inOrder(gIdx, 32)).isFalse();
    }

    @Test
    void rejectsBadTensorsNamingThem() {
        assertThatThrownBy(() -> GroupIndex.read(littleEndian(new int[] {0, 1, 4}), 3, 2, "x.g_idx"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x.g_idx[2] = 4");
        assertThatThrownBy(() -> GroupIndex.read(littleEndian(new int[] {0, -1}), 2, 2, "x.g_idx"))
                .hasMessageContaining("x.g_idx[1] = -1");
        assertThatThrownBy(() -> GroupIndex.read(littleEndian(new int[] {0, 0}), 3, 1, "y.g_idx"))
                .hasMessageContaining("y.g_idx: expected 3 entries, found 2");
    }
}
