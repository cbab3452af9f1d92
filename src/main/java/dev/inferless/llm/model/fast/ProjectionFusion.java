package dev.inferless.llm.model.fast;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Which projections over one input (q/k/v, or gate/up) fuse into one matmul: consecutive ones whose
 * act-order g_idx agree, since one activation permutation must serve the whole fused weight.
 * Outputs stay in projection order because fused runs are contiguous.
 */
public final class ProjectionFusion {

    private ProjectionFusion() {}

    /** Contiguous runs of indexes with equal g_idx (null = in order, equal to another null). */
    public static List<List<Integer>> runs(List<int[]> groupIndexes) {
        List<List<Integer>> runs = new ArrayList<>();
        for (int i = 0; i < groupIndexes.size(); i++) {
            if (i > 0 && Arrays.equals(groupIndexes.get(i - 1), groupIndexes.get(i))) {
                runs.get(runs.size() - 1).add(i);
            } else {
                runs.add(new ArrayList<>(List.of(i)));
            }
        }
        return runs;
    }
}
