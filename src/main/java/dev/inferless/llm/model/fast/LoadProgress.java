package dev.inferless.llm.model.fast;

import dev.inferless.startup.StartupTimeline;

/**
 * Load progress for the operator: a log line at each quarter of the layers with the time so far and
 * how much of it went to repacking 4-bit weights on the device (the rest is mostly reading the
 * checkpoint and copying it to the device).
 */
final class LoadProgress {

    private static final System.Logger LOG = System.getLogger(FastLlamaModel.class.getName());

    private final int layers;
    private final long start = System.nanoTime();
    private long repackNanos;
    private int nextReport = 1;

    LoadProgress(int layers) {
        this.layers = layers;
    }

    void repacked(long nanos) {
        repackNanos += nanos;
        StartupTimeline.process().addPart("weights", "repack", nanos);
    }

    void layerDone(int done) {
        if (done * 4 < nextReport * layers && done != layers) return;
        while (nextReport * layers <= done * 4) nextReport++;
        LOG.log(System.Logger.Level.INFO, "fast path: {0}/{1} layers in {2} ms ({3} ms repacking)",
                done, layers, (System.nanoTime() - start) / 1_000_000, repackNanos / 1_000_000);
    }
}
