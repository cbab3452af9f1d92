package dev.inferless.serving;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** System.Logger, which the engine's classes use and models receive, is written through SLF4J. */
class PlatformLoggingTest {

    @Test
    void systemLoggersAreSlf4jLoggers() {
        System.Logger logger = System.getLogger("model.echo");
        assertThat(logger.getClass().getName()).startsWith("org.slf4j.");
        assertThat(logger.getName()).isEqualTo("model.echo");
    }
}
