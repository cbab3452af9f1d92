package dev.inferless.llm.model.fast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SamplingSettingsTest {

    @Test
    void acceptsTheUsualSettings() {
        assertThat(new SamplingSettings(0.8, 40, 0.95, 1.1, 3).topK()).isEqualTo(40);
        assertThat(SamplingSettings.greedy().temperature()).isZero();
    }

    @Test
    void rejectsEachBadFieldByName() {
        assertThatThrownBy(() -> new SamplingSettings(-1, 0, 1, 1, 0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new SamplingSettings(Double.NaN, 0, 1, 1, 0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new SamplingSettings(1, -2, 1, 1, 0)).hasMessageContaining("topK");
        assertThatThrownBy(() -> new SamplingSettings(1, 0, 0, 1, 0)).hasMessageContaining("topP");
        assertThatThrownBy(() -> new SamplingSettings(1, 0, 1.5, 1, 0)).hasMessageContaining("topP");
        assertThatThrownBy(() -> new SamplingSettings(1, 0, 1, 0, 0)).hasMessageContaining("repetitionPenalty");
    }
}
