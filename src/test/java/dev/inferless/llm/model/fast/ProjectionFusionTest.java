package dev.inferless.llm.model.fast;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ProjectionFusionTest {

    @Test
    void fusesQkvWhenTheirGroupIndexesAgree() {
        int[] g = {1, 0, 1, 0};
        assertThat(ProjectionFusion.runs(List.of(g, g.clone(), g.clone()))).containsExactly(List.of(0, 1, 2));
    }

    @Test
    void splitsWhereGroupIndexesDiffer() {
        int[] a = {1, 0, 1, 0};
        int[] b = {0, 1, 0, 1};
        assertThat(ProjectionFusion.runs(List.of(a, b, b.clone()))).containsExactly(List.of(0), List.of(1, 2));
        assertThat(ProjectionFusion.runs(Arrays.asList(null, a, null))).containsExactly(List.of(0), List.of(1), List.of(2));
        assertThat(ProjectionFusion.runs(Arrays.asList(null, null))).containsExactly(List.of(0, 1));
    }

    /** Runs cover 0..n-1 in order; members of a run agree; neighbouring runs differ. */
    @Property(tries = 200)
    void runsPartitionInOrder(@ForAll @Size(min = 1, max = 6) List<@IntRange(min = 0, max = 2) Integer> kinds) {
        List<int[]> gIdx = new ArrayList<>();
        for (int kind : kinds) gIdx.add(kind == 0 ? null : new int[] {kind, 0});
        List<List<Integer>> runs = ProjectionFusion.runs(gIdx);
        List<Integer> flat = runs.stream().flatMap(List::stream).toList();
        assertThat(flat).containsExactlyElementsOf(java.util.stream.IntStream.range(0, kinds.size()).boxed().toList());
        for (List<Integer> run : runs) {
            for (int i : run) assertThat(gIdx.get(i)).isEqualTo(gIdx.get(run.get(0)));
        }
        for (int r = 1; r < runs.size(); r++) {
            assertThat(Arrays.equals(gIdx.get(runs.get(r).get(0)), gIdx.get(runs.get(r - 1).get(0)))).isFalse();
        }
    }
}
