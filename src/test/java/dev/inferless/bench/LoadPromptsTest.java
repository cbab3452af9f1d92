package dev.inferless.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

class LoadPromptsTest {

    @Test
    void sharedPrefixPromptsShareTheLongContextAndDifferInTheirTails() {
        IntFunction<String> prompts = LoadPrompts.SHARED_PREFIX.prompts(500);
        String a = prompts.apply(0), b = prompts.apply(1);
        assertThat(a).isNotEqualTo(b);
        int common = 0;
        while (common < Math.min(a.length(), b.length()) && a.charAt(common) == b.charAt(common)) common++;
        assertThat(common).isGreaterThanOrEqualTo(500 * LoadPrompts.CHARS_PER_TOKEN);
        assertThat(prompts.apply(0)).isEqualTo(a); // the same request index gives the same prompt
    }

    @Test
    void longPromptsAreDistinctFromTheirFirstLine() {
        IntFunction<String> prompts = LoadPrompts.LONG_PROMPT.prompts(300);
        String a = prompts.apply(0), b = prompts.apply(1);
        assertThat(a.length()).isGreaterThanOrEqualTo(300 * LoadPrompts.CHARS_PER_TOKEN);
        assertThat(a.lines().findFirst()).isNotEqualTo(b.lines().findFirst());
    }

    @Test
    void benchModeCyclesTheBenchPrompts() {
        var bench = BenchPrompts.load();
        IntFunction<String> prompts = LoadPrompts.BENCH.prompts(0);
        assertThat(prompts.apply(0)).isEqualTo(bench.get(0));
        assertThat(prompts.apply(bench.size())).isEqualTo(bench.get(0));
    }

    @Test
    void unknownModeIsRefusedWithTheOptionsName() {
        assertThatThrownBy(() -> LoadPrompts.parse("prefix")).hasMessageContaining("--mode");
    }
}
