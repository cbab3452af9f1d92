package dev.inferless.llm.engine;

import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.DeviceSamplingModel;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Steps sampled on the device (the fast path): only token ids come back. Where the model offers
 * batched steps ({@link DeviceSamplingModel}) they run one ahead: this launches the next step, fed
 * on the device with the tokens of the step still in flight, then takes that step's tokens while
 * the new one runs, so the device never waits for the host. Else each sequence steps alone.
 */
final class DeviceSampledSteps implements StepRunner {

    private final LanguageModel model;
    private final IntConsumer batchSizes;
    private final Deque<List<Sequence>> launched = new ArrayDeque<>(); // steps in flight, oldest first

    DeviceSampledSteps(LanguageModel model, IntConsumer batchSizes) {
        this.model = model;
        this.batchSizes = batchSizes;
    }

    @Override
    public void step(List<Sequence> sequences, Batch batch) {
        if (!(model instanceof DeviceSamplingModel device)) {
            StepRunner.deliver(sequences, batch, i -> {
                sequences.get(i).decodeOnDevice();
                batchSizes.accept(1);
            });
            return;
        }
        List<Sequence> next = sequences.stream().filter(Sequence::canLaunchAhead).toList();
        if (!next.isEmpty()) {
            int[] tokens = next.stream().mapToInt(s -> s.launch(DeviceSamplingModel.TOKEN_ON_DEVICE)).toArray();
            device.submitDecode(next.stream().map(Sequence::session).toList(), tokens); // a failure fails the batch
            launched.add(next);
            batchSizes.accept(next.size());
        }
        if (launched.size() > 1 || next.isEmpty()) {
            collectOldest(device, batch);
        }
    }

    @Override
    public void finishInFlight(Batch batch) {
        if (model instanceof DeviceSamplingModel device) {
            while (!launched.isEmpty()) {
                collectOldest(device, batch);
            }
        }
    }

    @Override
    public void abandonInFlight() {
        if (model instanceof DeviceSamplingModel device) {
            while (launched.poll() != null) {
                try {
                    device.collectDecode();
                } catch (RuntimeException e) {
                    // the failure that brought us here, already reported to the requests
                }
            }
        }
    }

    /** Takes the tokens of the oldest step in flight, for its sequences still live. */
    private void collectOldest(DeviceSamplingModel device, Batch batch) {
        List<Sequence> step = launched.poll();
        if (step == null) {
            return;
        }
        int[] tokens = device.collectDecode(); // a failure fails the batch
        StepRunner.deliver(step, batch, i -> {
            if (batch.live(step.get(i))) {
                step.get(i).acceptLaunched(tokens[i]);
            }
        });
    }
}
