package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.model.fast.KvPoolSize;
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
    void theFastPathsPoolSizeReadsBytesAndMemoryFraction() {
        assertThat(KvCacheSettings.from(Map.of()).poolSize(Map.of())).isEqualTo(KvPoolSize.DEFAULT);
        Map<String, Object> model = Map.of("kv_block_size", 32, "kv_cache_bytes", "314572800", "kv_cache_memory_fraction", "0.5");
        assertThat(KvCacheSettings.from(model).poolSize(model)).isEqualTo(new KvPoolSize(32, 0, 314572800L, 0.5));
        assertThatThrownBy(() -> KvCacheSettings.DEFAULT.poolSize(Map.of("kv_cache_memory_fraction", "most")))
                .hasMessageContaining("model.kv_cache_memory_fraction");
        assertThatThrownBy(() -> KvCacheSettings.DEFAULT.poolSize(Map.of("kv_cache_memory_fraction", 1.5)))
                .hasMessageContaining("model.kv_cache_memory_fraction");
        assertThatThrownBy(() -> KvCacheSettings.DEFAULT.poolSize(Map.of("kv_cache_bytes", "8GB")))
                .hasMessageContaining("model.kv_cache_bytes");
    }

    @Test
    void thePoolHoldsOneContextWindowAtLeastAndByDefaultOnePerSequence() {
        assertThat(new KvCacheSettings(16, 0, true).newBlockManager(4, 100).totalBlocks()).isEqualTo(4 * 7);
        assertThat(new KvCacheSettings(16, 7, true).newBlockManager(4, 100).totalBlocks()).isEqualTo(7);
        assertThatThrownBy(() -> new KvCacheSettings(16, 6, true).newBlockManager(4, 100))
                .hasMessageContaining("model.kv_cache_blocks").hasMessageContaining("100 positions");
    }
}
