package dev.inferless.llm.engine;

import java.util.List;

/**
 * Cuts streamed text at the first stop sequence. Text that could be the start of a stop sequence
 * is held back until the next piece shows whether it is one, so neither the stop text nor anything
 * after it is ever passed on, wherever the token boundaries fall. Generation stops at the first
 * piece that completes a stop sequence (as vLLM and Hugging Face do); the output ends before the
 * earliest stop sequence found in the text at that point.
 */
final class StopSequences {

    private final List<String> stops;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    StopSequences(List<String> stops) {
        this.stops = stops;
    }

    /** Takes the next piece of text; returns what may be passed on now. */
    String accept(String piece) {
        if (stopped) return "";
        pending.append(piece);
        int at = firstMatch();
        if (at >= 0) {
            stopped = true;
            String out = pending.substring(0, at);
            pending.setLength(0);
            return out;
        }
        int release = pending.length() - longestSuffixStartingAStop();
        String out = pending.substring(0, release);
        pending.delete(0, release);
        return out;
    }

    /** At the end of generation: the held-back text, which turned out not to be a stop sequence. */
    String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }

    boolean stopped() {
        return stopped;
    }

    private int firstMatch() {
        int first = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        return first;
    }

    /** Length of the longest suffix of the pending text that is a proper prefix of some stop sequence. */
    private int longestSuffixStartingAStop() {
        int longest = 0;
        for (String stop : stops) {
            for (int len = Math.min(stop.length() - 1, pending.length()); len > longest; len--) {
                if (pending.substring(pending.length() - len).equals(stop.substring(0, len))) {
                    longest = len;
                    break;
                }
            }
        }
        return longest;
    }
}
