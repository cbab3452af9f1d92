package dev.inferless.llm.engine;

import dev.inferless.llm.model.LanguageModel;
import dev.inferless.llm.model.fast.DeviceSampling;
import dev.inferless.llm.model.fast.DeviceSamplingModel;
import dev.inferless.llm.model.fast.SampledTokens;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Steps sampled on the device (the fast path): only token ids come back, with the log-probabilities
 * the device computed for the sequences that ask for them. Steps run batched and one
 * ahead ({@link DeviceSamplingModel}): this launches the next step, fed on the device with the tokens
 * of the step still in flight, then takes that step's tokens while the new one runs, so the device
 * never waits for the host.
 */
final class DeviceSampledSteps implements StepRunner {

    private final DeviceSamplingModel device;
    private final IntConsumer batchSizes;
    private final Deque<List<Sequence>> launched = new ArrayDeque<>(); // steps in flight, oldest first

    /** Sequences step here only when {@code model} samples on its device (a {@link DeviceSamplingModel}). */
    DeviceSampledSteps(LanguageModel model, IntConsumer batchSizes) {
        this.device = model instanceof DeviceSamplingModel d ? d : null;
        this.batchSizes = batchSizes;
    }

    /**
     * A prompt longer than {@code maxTokens} runs in chunks appended to the cache; the last chunk's
     * call passes the whole prompt (the sampler's penalty sees every token) and the device samples the
     * first token from its last position. After a preemption this recomputes the cache, the next token
     * known already.
     */
    @Override
    public int prefill(Sequence s, int maxTokens) {
        boolean recompute = s.outputs > 0;
        int n = s.fill.length - s.fed;
        if (Postprocess.cancelIfRequested(s)) {
            s.fed = s.fill.length; // retired at the step boundary, never run
            return n;
        }
        if (n > maxTokens) {
            s.session.append(Arrays.copyOfRange(s.fill, s.fed, s.fed + maxTokens));
            s.fed += maxTokens;
            return maxTokens;
        }
        s.fed = s.fill.length;
        // A recompute re-seeds the device's sampler (seed + outputs): seeded sampling stays
        // reproducible, but its stream after a preemption is not the one it would have had.
        SampledTokens first = ((DeviceSampling) s.session).prefillAndSample(s.fill, s.request.sampling(),
                seed(s) + s.outputs, logprobsTop(s));
        if (!recompute) Postprocess.sampledOnDevice(s, first.tokens()[0], first.logprobs()[0]);
        return n;
    }

    /** On the fast path a pass of 128 rows or more dequantizes every weight first: one pass is cheapest. */
    @Override
    public boolean prefillsWholeWhenAlone() {
        return true;
    }

    @Override
    public void step(List<Sequence> sequences, Batch batch) {
        if (device == null) {
            throw new IllegalStateException("the model's sessions sample on the device but it offers no batched device steps");
        }
        List<Sequence> next = sequences.stream().filter(Sequence::canLaunchAhead).toList();
        if (!next.isEmpty()) {
            // the token to feed: its last one, or the device's when a step is in flight for it
            int[] tokens = next.stream().mapToInt(s -> s.launched++ == 0 ? s.nextToken : DeviceSamplingModel.TOKEN_ON_DEVICE)
                    .toArray();
            device.submitDecode(next.stream().map(s -> s.session).toList(), tokens); // a failure fails the batch
            launched.add(next);
            batchSizes.accept(next.size());
        }
        if (launched.size() > 1 || next.isEmpty()) {
            collectOldest(batch);
        }
    }

    @Override
    public void finishInFlight(Batch batch) {
        while (!launched.isEmpty()) {
            collectOldest(batch);
        }
    }

    @Override
    public void abandonInFlight() {
        while (launched.poll() != null) {
            try {
                device.collectDecode();
            } catch (RuntimeException e) {
                // the failure that brought us here, already reported to the requests
            }
        }
    }

    /** Takes the tokens of the oldest step in flight, for its sequences still live. */
    private void collectOldest(Batch batch) {
        List<Sequence> step = launched.poll();
        if (step == null) {
            return;
        }
        SampledTokens sampled = device.collectDecode(); // a failure fails the batch
        StepRunner.deliver(step, batch, i -> {
            Sequence s = step.get(i);
            if (batch.live(s)) {
                s.launched--;
                if (s.finish == null) Postprocess.sampledOnDevice(s, sampled.tokens()[i], sampled.logprobs()[i]);
            }
        });
    }

    /** The top alternatives whose log-probabilities the device computes with each token; -1: none asked. */
    private static int logprobsTop(Sequence s) {
        return s.request.logprobs() == null ? -1 : s.request.logprobs().top();
    }

    private static long seed(Sequence s) {
        return s.request.seed() != null ? s.request.seed() : new SplittableRandom().nextLong();
    }
}
