package dev.inferless.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.inferless.schema.Datatype;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary tensor data extension's encoding: elements little-endian and packed, BOOL one byte,
 * BYTES each element a 4-byte little-endian length then its bytes. Decoded elements become the
 * JSON values the JSON form would have carried, so one validation path serves both.
 */
final class BinaryTensors {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private BinaryTensors() {}

    /** The elements of one input's binary data; {@code where} names it in errors. */
    static List<JsonNode> decode(Datatype type, ByteBuffer bytes, String where) {
        ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
        List<JsonNode> out = new ArrayList<>();
        if (type == Datatype.STRING) {
            while (b.hasRemaining()) {
                if (b.remaining() < 4) {
                    throw new ApiError(400, where + ": binary BYTES element cut short (4-byte length expected)");
                }
                int length = b.getInt();
                if (length < 0 || length > b.remaining()) {
                    throw new ApiError(400, where + ": binary BYTES element of " + Integer.toUnsignedString(length)
                            + " bytes, only " + b.remaining() + " left");
                }
                byte[] element = new byte[length];
                b.get(element);
                out.add(NODES.textNode(new String(element, StandardCharsets.UTF_8)));
            }
            return out;
        }
        int size = elementSize(type);
        if (b.remaining() % size != 0) {
            throw new ApiError(400, where + ": binary_data_size " + b.remaining() + " is not a multiple of "
                    + size + " (the size of one " + type.wireName() + ")");
        }
        while (b.hasRemaining()) {
            out.add(element(type, b));
        }
        return out;
    }

    private static JsonNode element(Datatype type, ByteBuffer b) {
        switch (type) {
            case BOOL: return NODES.booleanNode(b.get() != 0);
            case INT8: return NODES.numberNode((long) b.get());
            case UINT8: return NODES.numberNode((long) Byte.toUnsignedInt(b.get()));
            case INT16: return NODES.numberNode((long) b.getShort());
            case UINT16: return NODES.numberNode((long) Short.toUnsignedInt(b.getShort()));
            case INT32: return NODES.numberNode((long) b.getInt());
            case UINT32: return NODES.numberNode(Integer.toUnsignedLong(b.getInt()));
            case INT64: return NODES.numberNode(b.getLong());
            // The range check (UINT64 above 2^63-1 refused) happens in validation, as for JSON.
            case UINT64: return NODES.numberNode(new BigInteger(Long.toUnsignedString(b.getLong())));
            case FP16: return NODES.numberNode((double) halfToFloat(b.getShort()));
            case BF16: return NODES.numberNode((double) Float.intBitsToFloat((b.getShort() & 0xffff) << 16));
            case FP32: return NODES.numberNode((double) b.getFloat());
            case FP64: return NODES.numberNode(b.getDouble());
            default: throw new AssertionError(type);
        }
    }

    /** The binary form of an output's values (String, Boolean, Number), in the output's datatype. */
    static byte[] encode(Datatype type, List<?> values) {
        if (type == Datatype.STRING) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Object v : values) {
                byte[] text = String.valueOf(v).getBytes(StandardCharsets.UTF_8);
                out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(text.length).array());
                out.writeBytes(text);
            }
            return out.toByteArray();
        }
        ByteBuffer b = ByteBuffer.allocate(elementSize(type) * values.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (Object v : values) {
            if (type == Datatype.BOOL) {
                b.put((byte) (Boolean.TRUE.equals(v) ? 1 : 0));
                continue;
            }
            Number n = (Number) v;
            switch (type) {
                case INT8: case UINT8: b.put(n.byteValue()); break;
                case INT16: case UINT16: b.putShort(n.shortValue()); break;
                case INT32: case UINT32: b.putInt(n.intValue()); break;
                case INT64: case UINT64: b.putLong(n.longValue()); break;
                case FP16: b.putShort(floatToHalf(n.floatValue())); break;
                case BF16: b.putShort((short) (Float.floatToIntBits(n.floatValue()) >>> 16)); break;
                case FP32: b.putFloat(n.floatValue()); break;
                case FP64: b.putDouble(n.doubleValue()); break;
                default: throw new AssertionError(type);
            }
        }
        return b.array();
    }

    static int elementSize(Datatype type) {
        switch (type) {
            case BOOL: case INT8: case UINT8: return 1;
            case INT16: case UINT16: case FP16: case BF16: return 2;
            case INT32: case UINT32: case FP32: return 4;
            case INT64: case UINT64: case FP64: return 8;
            default: throw new IllegalArgumentException(type + " has no fixed element size");
        }
    }

    static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h >>> 15) << 31;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // subnormal
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    static short floatToHalf(float f) {
        int bits = Float.floatToIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        float abs = Math.abs(f);
        if (Float.isNaN(f)) {
            return (short) (sign | 0x7e00);
        }
        if (abs >= 65520f) {
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x1p-14f) {
            return (short) (sign | Math.round(abs * 0x1p24f)); // subnormal, rounded to nearest
        }
        int exponent = ((bits >>> 23) & 0xff) - 112;
        int mantissa = bits & 0x7fffff;
        int half = (exponent << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++; // round to nearest even; a carry moves into the exponent, as it should
        }
        return (short) (sign | half);
    }
}
