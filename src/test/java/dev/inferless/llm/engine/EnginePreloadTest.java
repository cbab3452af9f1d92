package dev.inferless.llm.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EnginePreloadTest {

    @Test
    void preloadsOnlyForServeOnAHostWithItsOwnTorch() {
        assertTrue(EnginePreload.worthIt(new String[] {"serve", "--model", "/model"}, true));
        assertFalse(EnginePreload.worthIt(new String[] {"serve", "--model", "/model"}, false), "DJL's own libtorch: no preload");
        assertFalse(EnginePreload.worthIt(new String[] {"infer", "--model", "/model"}, true));
        assertFalse(EnginePreload.worthIt(new String[] {"--help"}, true));
        assertFalse(EnginePreload.worthIt(new String[0], true));
    }
}
