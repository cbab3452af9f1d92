package dev.inferless.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadTestSummaryTest {

    @Test
    void oneStallAmongManyGapsShowsInTheLargestGapNotInTheP99() {
        List<Double> smooth = new ArrayList<>(Collections.nCopies(200, 0.01));
        List<Double> stalled = new ArrayList<>(smooth);
        stalled.set(100, 0.9); // a long prompt's prefill ran between two of its tokens
        List<LoadTest.Sample> samples = List.of(
                new LoadTest.Sample(true, 3.0, 0.2, 201, 30, smooth),
                new LoadTest.Sample(true, 3.5, 0.3, 201, 30, stalled),
                LoadTest.Sample.FAILED);

        LoadTest.LevelResult r = LoadTest.summarize(2, samples, 4.0);

        assertThat(r.errors()).isEqualTo(1);
        assertThat(r.outputTokens()).isEqualTo(402);
        assertThat(r.p99ItlS()).isEqualTo(0.01);
        assertThat(r.maxItlS()).isEqualTo(0.9);
        assertThat(r.p99TtftS()).isEqualTo(0.3);
    }
}
