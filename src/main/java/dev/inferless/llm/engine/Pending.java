package dev.inferless.llm.engine;

import dev.inferless.api.CancellationToken;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * A request in the continuous batch and its way back to its caller: the batch's thread sends its
 * text pieces, then its result or its failure; the caller's thread takes them in {@link #await}.
 */
final class Pending {

    private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    /** Set once, before the request joins the queue. */
    Sequence sequence;
    /** Its KV cache's blocks while it runs (the {@link Scheduler}'s, on the batch's thread); null otherwise. */
    BlockManager.BlockTable blocks;

    /** From the batch's thread: a text piece, then the result or a failure once the sequence finished. */
    void send(Object pieceResultOrFailure) {
        events.add(pieceResultOrFailure);
    }

    /**
     * On the caller's thread: hands the text pieces to {@code onText} as they come, then returns the
     * result or throws the failure. A caller that stops taking them cancels the request.
     */
    GenerationResult await(Consumer<String> onText) {
        while (true) {
            Object event;
            try {
                event = events.take();
            } catch (InterruptedException e) {
                sequence.cancellation.cancel(CancellationToken.Reason.CLIENT_GONE); // nobody takes its output any more
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while generating", e);
            }
            if (event instanceof GenerationResult result) {
                return result;
            }
            if (event instanceof RuntimeException failure) {
                throw failure;
            }
            try {
                onText.accept((String) event);
            } catch (RuntimeException e) {
                sequence.cancellation.cancel(CancellationToken.Reason.CLIENT_GONE);
                throw e;
            }
        }
    }
}
