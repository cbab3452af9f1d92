package dev.inferless.app;

import dev.inferless.config.LoggingConfig;

/** Configures slf4j-simple from logging.level; must run before the first logger is created. */
final class LoggingSetup {

    private LoggingSetup() {}

    static void apply(LoggingConfig config) {
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", config.level());
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        // Jetty and Javalin are chatty at info; their warnings still show.
        setIfAbsent("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        setIfAbsent("org.slf4j.simpleLogger.log.io.javalin", "warn");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
