package dev.inferless.config;

import java.util.Locale;
import java.util.Map;

/** Flat key -> text view of the configuration with typed getters whose errors name the key. */
record ConfigValues(Map<String, String> values) {

    String text(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new ConfigException(key + ": missing");
        }
        return v.trim();
    }

    long integer(String key, long min, long max) {
        String v = text(key);
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ConfigException(key + ": expected an integer, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new ConfigException(key + ": " + n + " is out of range [" + min + ", " + max + "]");
        }
        return n;
    }

    double positiveSeconds(String key) {
        String v = text(key);
        double n;
        try {
            n = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new ConfigException(key + ": expected a number of seconds, got '" + v + "'");
        }
        if (!(n > 0) || Double.isInfinite(n)) {
            throw new ConfigException(key + ": expected a positive number of seconds, got '" + v + "'");
        }
        return n;
    }

    boolean bool(String key) {
        String v = text(key).toLowerCase(Locale.ROOT);
        if (v.equals("true")) {
            return true;
        }
        if (v.equals("false")) {
            return false;
        }
        throw new ConfigException(key + ": expected true or false, got '" + v + "'");
    }

    String oneOf(String key, String... allowed) {
        String v = text(key).toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new ConfigException(key + ": expected one of " + String.join(", ", allowed) + ", got '" + v + "'");
    }
}
