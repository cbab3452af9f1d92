package dev.inferless.startup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StartupTimelineTest {

    private final AtomicLong now = new AtomicLong(5_000_000_000L);
    /** Process start 200 ms before the clock's current value. */
    private final StartupTimeline timeline = new StartupTimeline(now::get, now.get() - ms(200));

    private static long ms(long millis) {
        return millis * 1_000_000L;
    }

    private void advance(long millis) {
        now.addAndGet(ms(millis));
    }

    @Test
    void phasesAreTimedFromProcessStartInTheOrderTheyStarted() {
        timeline.sinceProcessStart("jvm");
        var engine = timeline.start("llm engine"); // on its own thread in the runtime: overlaps the next two
        advance(10);
        try (var config = timeline.start("config")) {
            advance(30);
        }
        try (var http = timeline.start("http")) {
            advance(60);
        }
        engine.close();

        List<StartupTimeline.Phase> phases = timeline.phases();
        assertThat(phases).extracting(StartupTimeline.Phase::name).containsExactly("jvm", "llm engine", "config", "http");
        assertThat(phases).extracting(StartupTimeline.Phase::startMs).containsExactly(0.0, 200.0, 210.0, 240.0);
        assertThat(phases).extracting(StartupTimeline.Phase::ms).containsExactly(200.0, 100.0, 30.0, 60.0);
        assertThat(timeline.summary()).isEqualTo("ms since process start: jvm 0-200 | llm engine 200-300 | config 210-240"
                + " | http 240-300");
    }

    @Test
    void partsAddUpInsideThePhaseTheyBelongTo() {
        try (var weights = timeline.start("weights")) {
            for (int layer = 0; layer < 3; layer++) {
                timeline.addPart("weights", "upload", ms(20));
                timeline.addPart("weights", "repack", ms(5));
                advance(25);
            }
        }
        StartupTimeline.Phase weights = timeline.phases().get(0);
        assertThat(weights.ms()).isEqualTo(75.0);
        assertThat(weights.parts()).containsExactly(java.util.Map.entry("upload", 60.0), java.util.Map.entry("repack", 15.0));
        assertThat(timeline.summary()).isEqualTo("ms since process start: weights 200-275 (upload 60, repack 15)");
    }

    @Test
    void readyClosesTheTimeline() {
        try (var init = timeline.start("initialize")) {
            advance(1000);
        }
        advance(5);
        List<StartupTimeline.Phase> atReady = timeline.ready();
        assertThat(timeline.summary()).endsWith("initialize 200-1200 | ready 1205");

        // A request after ready (its first decode step, say) is no part of the start.
        try (var late = timeline.start("graph capture")) {
            advance(50);
        }
        timeline.addPart("initialize", "upload", ms(7));
        assertThat(timeline.ready()).isEqualTo(atReady).hasSize(1);
        assertThat(timeline.phases().get(0).parts()).isEmpty();
        assertThat(timeline.summary()).endsWith("initialize 200-1200 | ready 1205");
    }

    @Test
    void beforeReadyThereIsNoReadyTime() {
        assertThat(timeline.summary()).doesNotContain("ready");
        assertThat(timeline.summary()).isEqualTo("ms since process start: ");
    }
}
