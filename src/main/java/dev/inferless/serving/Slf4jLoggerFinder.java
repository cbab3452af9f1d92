package dev.inferless.serving;

/**
 * Routes every {@link System.Logger} (the engine's libraries use it to stay free of logging
 * dependencies) to SLF4J, so the runtime's log has one format. Installed through
 * META-INF/services/java.lang.System$LoggerFinder.
 */
public final class Slf4jLoggerFinder extends System.LoggerFinder {

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new Slf4jSystemLogger(name);
    }
}
