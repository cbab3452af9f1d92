package dev.inferless.app;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ServePreloadTest {

    @Test
    void preloadsForServeOnly() {
        assertTrue(ServePreload.serves(new String[] {"serve", "--model", "/model"}));
        assertFalse(ServePreload.serves(new String[] {"infer", "--model", "/model"}));
        assertFalse(ServePreload.serves(new String[] {"--help"}));
        assertFalse(ServePreload.serves(new String[0]));
    }
}
