package dev.inferless.llm.engine;

import dev.inferless.llm.sampling.TokenLogprobs;
import dev.inferless.llm.tokenizer.IncrementalDetokenizer;
import java.util.List;
import java.util.function.Consumer;

/**
 * A sequence's text: each token detokenized, cut at the first stop sequence, appended and handed to
 * the request's {@code onText}; the log-probabilities of each token go to the request's sink one
 * token late, since text the detokenizer holds back until the end belongs to the last token.
 */
final class SequenceText {

    private final IncrementalDetokenizer detokenizer;
    private final StopSequences stops;
    private final Consumer<TokenLogprobs> logprobsSink;
    private final Consumer<String> onText;
    private final StringBuilder text = new StringBuilder();
    private TokenLogprobs held; // of the newest token, until the next one or the end

    /** {@code logprobsSink} null: the request asks for none. {@code onText} runs on the batch's thread. */
    SequenceText(IncrementalDetokenizer detokenizer, List<String> stops, Consumer<TokenLogprobs> logprobsSink,
                 Consumer<String> onText) {
        this.detokenizer = detokenizer;
        this.stops = new StopSequences(stops);
        this.logprobsSink = logprobsSink;
        this.onText = onText;
    }

    /** Adds a generated token (not EOS) and its log-probabilities (or null); true once a stop sequence ended the text. */
    boolean add(int token, TokenLogprobs logprobs) {
        String piece = detokenizer.add(token);
        if (logprobs != null) {
            deliverHeld("");
            held = logprobs.withText(piece);
        }
        emit(stops.accept(piece));
        return stops.stopped();
    }

    /** At the end: the held-back text and log-probabilities; true when a stop sequence ended the text. */
    boolean finish() {
        String tail = detokenizer.finish();
        deliverHeld(tail);
        emit(stops.accept(tail));
        emit(stops.flush());
        return stops.stopped();
    }

    String text() {
        return text.toString();
    }

    private void deliverHeld(String tail) {
        if (held != null) {
            logprobsSink.accept(held.withText(held.text() + tail));
            held = null;
        }
    }

    private void emit(String piece) {
        if (!piece.isEmpty()) {
            text.append(piece);
            onText.accept(piece);
        }
    }
}
