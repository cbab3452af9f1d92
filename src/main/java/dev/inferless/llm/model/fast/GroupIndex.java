package dev.inferless.llm.model.fast;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;

/** A GPTQ g_idx read on the host: the group of each input feature, checked against the scales. */
public final class GroupIndex {

    private GroupIndex() {}

    /** Reads int32 little-endian g_idx of {@code in} entries; each must lie in [0, groups). */
    public static int[] read(ByteBuffer bytes, int in, int groups, String tensorName) {
        IntBuffer ints = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        if (ints.remaining() != in) {
            throw new IllegalArgumentException(tensorName + ": expected " + in + " entries, found " + ints.remaining());
        }
        int[] groupOf = new int[in];
        ints.get(groupOf);
        for (int k = 0; k < in; k++) {
            if (groupOf[k] < 0 || groupOf[k] >= groups) {
                throw new IllegalArgumentException(
                        tensorName + "[" + k + "] = " + groupOf[k] + " lies outside [0, " + groups + ")");
            }
        }
        return groupOf;
    }

    /** True where g_idx is k / G for every k (no act-order permutation needed). */
    public static boolean inOrder(int[] groupOf, int groupSize) {
        for (int k = 0; k < groupOf.length; k++) {
            if (groupOf[k] != k / groupSize) return false;
        }
        return true;
    }
}
