package dev.inferless.llm.engine;

import java.util.Map;

/**
 * Typed values of a repo's {@code model:} section as YAML or {@code --set} gives them (numbers,
 * booleans or their spelling as text); a wrong one is an error naming the key with its prefix.
 */
final class SettingValues {

    private SettingValues() {
    }

    static boolean bool(Map<String, Object> m, String key, boolean fallback, String prefix) {
        Object v = m.get(key);
        if (v == null) return fallback;
        if (v instanceof Boolean b) return b;
        String text = v.toString().trim();
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) return Boolean.parseBoolean(text);
        throw new IllegalArgumentException(prefix + key + " must be true or false, got " + v);
    }

    static long integer(Map<String, Object> m, String key, long fallback, String prefix) {
        Object v = m.get(key);
        if (v == null) return fallback;
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 1e12) {
            return n.longValue();
        }
        if (v instanceof String s && s.trim().matches("-?[0-9]{1,12}")) return Long.parseLong(s.trim());
        throw new IllegalArgumentException(prefix + key + " must be an integer, got " + v);
    }

    static double number(Map<String, Object> m, String key, double fallback, String prefix) {
        Object v = m.get(key);
        if (v == null) return fallback;
        if (v instanceof Number n) return n.doubleValue();
        try {
            return Double.parseDouble(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(prefix + key + " must be a number, got " + v);
        }
    }

    /** An integer that fits an int. */
    static int int32(Map<String, Object> m, String key, int fallback, String prefix) {
        long v = integer(m, key, fallback, prefix);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(prefix + key + " must be an integer up to " + Integer.MAX_VALUE + ", got " + v);
        }
        return (int) v;
    }
}
