package dev.inferless.schema;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * KServe v2 tensor datatypes, plus Inferless's STRING (sent as BYTES on the wire). Converts one
 * JSON element into the Java value a model receives: String, Boolean, Long or Double.
 */
public enum Datatype {
    BOOL, STRING,
    INT8(-128, 127), INT16(Short.MIN_VALUE, Short.MAX_VALUE), INT32(Integer.MIN_VALUE, Integer.MAX_VALUE),
    INT64(Long.MIN_VALUE, Long.MAX_VALUE),
    UINT8(0, 255), UINT16(0, 65535), UINT32(0, 4294967295L),
    // Java has no unsigned long; values above 2^63-1 are refused rather than wrapped.
    UINT64(0, Long.MAX_VALUE),
    FP16(65504.0), BF16(3.3895313892515355e38), FP32(Float.MAX_VALUE), FP64(Double.MAX_VALUE);

    private final long min;
    private final long max;
    private final double maxMagnitude;
    private final Kind kind;

    private enum Kind { BOOL, STRING, INTEGER, FLOAT }

    Datatype() {
        this.kind = name().equals("BOOL") ? Kind.BOOL : Kind.STRING;
        this.min = 0;
        this.max = 0;
        this.maxMagnitude = 0;
    }

    Datatype(long min, long max) {
        this.kind = Kind.INTEGER;
        this.min = min;
        this.max = max;
        this.maxMagnitude = 0;
    }

    Datatype(double maxMagnitude) {
        this.kind = Kind.FLOAT;
        this.min = 0;
        this.max = 0;
        this.maxMagnitude = maxMagnitude;
    }

    /** The name on the KServe v2 wire: STRING travels as BYTES. */
    public String wireName() {
        return this == STRING ? "BYTES" : name();
    }

    /** Parses a schema or wire name; BYTES and STRING are the same type. */
    public static Datatype parse(String name) {
        String upper = name.trim().toUpperCase(Locale.ROOT);
        if (upper.equals("BYTES")) {
            return STRING;
        }
        try {
            return valueOf(upper);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown datatype '" + name + "' (expected one of "
                    + Arrays.stream(values()).map(Datatype::name).collect(Collectors.joining(", ")) + ", BYTES)");
        }
    }

    /**
     * Whether values declared as this type may be given to an input of {@code target}: the same
     * type, or numbers to numbers (INT64 to INT32, FP64 to FP32, integers to floats), each value then
     * range-checked by {@code target}. Floats to integers would lose fractions and are refused.
     */
    public boolean convertsTo(Datatype target) {
        if (this == target) {
            return true;
        }
        boolean numbers = (kind == Kind.INTEGER || kind == Kind.FLOAT) && (target.kind == Kind.INTEGER || target.kind == Kind.FLOAT);
        return numbers && !(kind == Kind.FLOAT && target.kind == Kind.INTEGER);
    }

    /** Converts one JSON element; the message of the exception says what was wrong. */
    public Object toValue(JsonNode node) {
        switch (kind) {
            case BOOL:
                if (node.isBoolean()) {
                    return node.booleanValue();
                }
                break;
            case STRING:
                if (node.isTextual()) {
                    return node.textValue();
                }
                break;
            case INTEGER:
                if (node.isIntegralNumber()) {
                    BigInteger v = node.bigIntegerValue();
                    if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
                        throw new IllegalArgumentException(v + " is out of range for " + this + " [" + min + ", " + max + "]");
                    }
                    return v.longValue();
                }
                break;
            case FLOAT:
                if (node.isNumber()) {
                    double v = node.doubleValue();
                    if (Math.abs(v) > maxMagnitude) {
                        throw new IllegalArgumentException(node + " is out of range for " + this);
                    }
                    return v;
                }
                break;
            default:
                throw new AssertionError(kind);
        }
        throw new IllegalArgumentException("expected " + this + ", got " + describe(node));
    }

    /** The wire datatype of a value a model returned: String, Boolean, integral or floating number. */
    public static Datatype ofValue(Object value) {
        if (value instanceof String) {
            return STRING;
        }
        if (value instanceof Boolean) {
            return BOOL;
        }
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return INT64;
        }
        if (value instanceof Double || value instanceof Float) {
            return FP64;
        }
        throw new IllegalArgumentException("unsupported output value type "
                + (value == null ? "null" : value.getClass().getName()));
    }

    private static String describe(JsonNode node) {
        String text = node.toString();
        return (text.length() > 40 ? text.substring(0, 40) + "..." : text) + " (" + node.getNodeType().name().toLowerCase(Locale.ROOT) + ")";
    }
}
