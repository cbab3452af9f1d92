package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StopSequencesTest {

    /** Cuts {@code text} into pieces of 0 to 3 characters at random (as tokens cut decoded text). */
    private static List<String> cut(String text, Random random) {
        List<String> pieces = new ArrayList<>();
        for (int at = 0; at < text.length(); ) {
            int end = Math.min(text.length(), at + random.nextInt(4));
            pieces.add(text.substring(at, end));
            at = end;
        }
        return pieces;
    }

    private static String streamed(List<String> pieces, List<String> stops) {
        StopSequences s = new StopSequences(stops);
        StringBuilder out = new StringBuilder();
        for (String piece : pieces) {
            if (s.stopped()) break;
            out.append(s.accept(piece));
        }
        return out.append(s.flush()).toString();
    }

    /**
     * Generation stops after the first piece whose arrival puts a stop sequence in the text; the
     * output is the text before the earliest stop sequence in the text so far.
     */
    private static String expected(List<String> pieces, List<String> stops) {
        String text = "";
        for (String piece : pieces) {
            text += piece;
            int first = -1;
            for (String stop : stops) {
                int i = text.indexOf(stop);
                if (i >= 0 && (first < 0 || i < first)) first = i;
            }
            if (first >= 0) return text.substring(0, first);
        }
        return text;
    }

    @Test
    void outputEndsBeforeTheFirstStopSequenceWhereverThePiecesAreCut() {
        Random random = new Random(5);
        String alphabet = "ab\nde";
        for (int trial = 0; trial < 3000; trial++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(30); i > 0; i--) text.append(alphabet.charAt(random.nextInt(alphabet.length())));
            List<String> stops = new ArrayList<>();
            for (int n = random.nextInt(3); n >= 0; n--) {
                StringBuilder stop = new StringBuilder();
                for (int i = 1 + random.nextInt(4); i > 0; i--) stop.append(alphabet.charAt(random.nextInt(alphabet.length())));
                stops.add(stop.toString());
            }
            List<String> pieces = cut(text.toString(), random);
            assertThat(streamed(pieces, stops)).as("pieces %s stops %s", pieces, stops).isEqualTo(expected(pieces, stops));
        }
    }

    @Test
    void onlyAPossibleStartOfAStopIsHeldBack() {
        StopSequences s = new StopSequences(List.of("\n\n", "END"));
        assertThat(s.accept("x = 1\n")).isEqualTo("x = 1");
        assertThat(s.accept("y = 2")).isEqualTo("\ny = 2");
        assertThat(s.accept(" E")).isEqualTo(" ");
        assertThat(s.accept("N")).isEmpty();
        assertThat(s.accept("D and more")).isEmpty();
        assertThat(s.stopped()).isTrue();
        assertThat(s.flush()).isEmpty();
    }

    @Test
    void withoutStopsNothingIsHeld() {
        StopSequences s = new StopSequences(List.of());
        assertThat(s.accept("abc")).isEqualTo("abc");
        assertThat(s.flush()).isEmpty();
        assertThat(s.stopped()).isFalse();
    }
}
