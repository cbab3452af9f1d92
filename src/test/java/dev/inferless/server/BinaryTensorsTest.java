package dev.inferless.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.inferless.schema.Datatype;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The binary tensor data encoding, element types the HTTP tests do not reach included. */
class BinaryTensorsTest {

    @Test
    void everyFixedSizeTypeRoundTrips() {
        List<Number> values = List.of(0L, 1L, 100L);
        for (Datatype type : List.of(Datatype.INT8, Datatype.UINT8, Datatype.INT16, Datatype.UINT16, Datatype.INT32,
                Datatype.UINT32, Datatype.INT64, Datatype.UINT64, Datatype.FP16, Datatype.BF16, Datatype.FP32, Datatype.FP64)) {
            byte[] bytes = BinaryTensors.encode(type, values);
            assertThat(bytes).as(type.name()).hasSize(3 * BinaryTensors.elementSize(type));
            List<JsonNode> decoded = BinaryTensors.decode(type, ByteBuffer.wrap(bytes), "x");
            assertThat(decoded.stream().map(JsonNode::doubleValue).toList()).as(type.name()).containsExactly(0.0, 1.0, 100.0);
        }
    }

    @Test
    void halfPrecisionKeepsSignsSubnormalsAndInfinity() {
        for (float f : new float[] {-2.5f, 0.333251953125f, 65504f, 0x1p-24f, -0x1p-14f}) {
            assertThat(BinaryTensors.halfToFloat(BinaryTensors.floatToHalf(f))).as("%s", f).isEqualTo(f);
        }
        assertThat(BinaryTensors.halfToFloat(BinaryTensors.floatToHalf(1e6f))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(BinaryTensors.halfToFloat((short) 0x3c00)).isEqualTo(1.0f);
        assertThat(BinaryTensors.halfToFloat((short) 0xc000)).isEqualTo(-2.0f);
    }

    @Test
    void unsignedAndBooleanBytesDecodeAsTheirValues() {
        assertThat(BinaryTensors.decode(Datatype.UINT8, ByteBuffer.wrap(new byte[] {(byte) 255}), "x").get(0).longValue()).isEqualTo(255);
        assertThat(BinaryTensors.decode(Datatype.UINT64, ByteBuffer.wrap(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1}), "x")
                .get(0).bigIntegerValue().toString()).isEqualTo("18446744073709551615");
        assertThat(BinaryTensors.decode(Datatype.BOOL, ByteBuffer.wrap(new byte[] {0, 1, 2}), "x").stream()
                .map(JsonNode::booleanValue).toList()).containsExactly(false, true, true);
        assertThatThrownBy(() -> BinaryTensors.decode(Datatype.INT32, ByteBuffer.wrap(new byte[6]), "inputs[0]"))
                .hasMessageContaining("inputs[0]: binary_data_size 6 is not a multiple of 4");
    }
}
