package dev.inferless.serving;

import java.text.MessageFormat;
import java.util.ResourceBundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The System.Logger a model gets, written through the runtime's SLF4J logging. */
final class Slf4jSystemLogger implements System.Logger {

    private final Logger log;

    Slf4jSystemLogger(String name) {
        this.log = LoggerFactory.getLogger(name);
    }

    @Override
    public String getName() {
        return log.getName();
    }

    @Override
    public boolean isLoggable(Level level) {
        switch (level) {
            case ALL: case TRACE: return log.isTraceEnabled();
            case DEBUG: return log.isDebugEnabled();
            case INFO: return log.isInfoEnabled();
            case WARNING: return log.isWarnEnabled();
            case ERROR: return log.isErrorEnabled();
            default: return false;
        }
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        if (!isLoggable(level)) {
            return;
        }
        switch (level) {
            case ALL: case TRACE: log.trace(msg, thrown); break;
            case DEBUG: log.debug(msg, thrown); break;
            case INFO: log.info(msg, thrown); break;
            case WARNING: log.warn(msg, thrown); break;
            default: log.error(msg, thrown); break;
        }
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        if (isLoggable(level)) {
            log(level, bundle, params == null || params.length == 0 ? format : MessageFormat.format(format, params), (Throwable) null);
        }
    }
}
