package dev.inferless.llm.model.fast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.DType;
import org.junit.jupiter.api.Test;

class DeviceTensorsTest {

    @Test
    void mapsEverySupportedTypeToOneOfTheSameWidth() {
        for (DType t : DType.values()) {
            if (t == DType.I16) continue;
            assertThat(DeviceTensors.dataTypeOf(t).getNumOfBytes()).as(t.name()).isEqualTo(t.bytes);
        }
        assertThatThrownBy(() -> DeviceTensors.dataTypeOf(DType.I16)).hasMessageContaining("I16");
    }
}
