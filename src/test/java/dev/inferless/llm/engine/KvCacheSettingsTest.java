package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class KvCacheSettingsTest {

    @Test
    void readsTheModelSectionWithDefaults() {
        assertThat(KvCacheSettings.from(Map.of())).isEqualTo(new KvCacheSettings(16, 0, true));
        assertThat(KvCacheSettings.from(Map.of("kv_block_size", 32, "kv_cache_blocks", "900", "prefix_caching", "false")))
                .isEqualTo(new KvCacheSettings(32, 900, false));
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> KvCacheSettings.from(Map.of("kv_block_size", 0))).hasMessageContaining("model.kv_block_size");
        assertThatThrownBy(() -> KvCacheSettings.from(Map.of("kv_cache_blocks", 1.5))).hasMessageContaining("model.kv_cache_blocks");
        assertThatThrownBy(() -> KvCacheSettings.from(Map.of("prefix_caching", "yes"))).hasMessageContaining("model.prefix_caching");
    }

    @Test
    void thePoolHoldsOneContextWindowAtLeastAndByDefaultOnePerSequence() {
        assertThat(new KvCacheSettings(16, 0, true).newBlockManager(4, 100).totalBlocks()).isEqualTo(4 * 7);
        assertThat(new KvCacheSettings(16, 7, true).newBlockManager(4, 100).totalBlocks()).isEqualTo(7);
        assertThatThrownBy(() -> new KvCacheSettings(16, 6, true).newBlockManager(4, 100))
                .hasMessageContaining("model.kv_cache_blocks").hasMessageContaining("100 positions");
    }
}
