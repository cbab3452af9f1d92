package dev.inferless.llm.model.fast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.LlamaConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KvPoolSizeTest {

    // 48 layers, 8 KV heads of 128: a block of 16 positions is 2 * 48 * 8 * 16 * 128 * 2 = 3 MiB.
    private static final LlamaConfig CODELLAMA_34B =
            new LlamaConfig(8192, 22016, 48, 64, 8, 128, 32000, 16384, 1e-5, 1e6, 1.0, false, 1, 2);
    private static final long MIB = 1 << 20;

    @Test
    void blockBytesCountKAndVOfEveryLayer() {
        assertThat(KvPoolSize.DEFAULT.bytesPerBlock(CODELLAMA_34B)).isEqualTo(3 * MIB);
    }

    @Test
    void fractionOfTheFreeMemoryByDefault() {
        KvPoolSize kv = KvPoolSize.from(Map.of(), 16, 0);
        // 0.9 of 30 GiB = 27 GiB: 9216 blocks of 3 MiB
        assertThat(kv.blocksFor(CODELLAMA_34B, 30L << 30, 64)).isEqualTo(9216);
        KvPoolSize half = KvPoolSize.from(Map.of("kv_cache_memory_fraction", 0.5), 16, 0);
        assertThat(half.blocksFor(CODELLAMA_34B, 30L << 30, 64)).isEqualTo(5120);
    }

    @Test
    void bytesThenBlocksTakePrecedence() {
        KvPoolSize bytes = KvPoolSize.from(Map.of("kv_cache_bytes", 300 * MIB, "kv_cache_memory_fraction", 0.5), 16, 0);
        assertThat(bytes.blocksFor(CODELLAMA_34B, 30L << 30, 64)).isEqualTo(100);
        KvPoolSize blocks = KvPoolSize.from(Map.of("kv_cache_bytes", 300 * MIB), 16, 42);
        assertThat(blocks.blocksFor(CODELLAMA_34B, 30L << 30, 64)).isEqualTo(42);
    }

    @Test
    void neverMoreThanEverySequenceAtTheFullContextNeeds() {
        // 2 sequences of 16384 positions: 2 * 1024 blocks, though 27 GiB would hold 9216
        assertThat(KvPoolSize.DEFAULT.blocksFor(CODELLAMA_34B, 30L << 30, 2)).isEqualTo(2048);
    }

    @Test
    void aBudgetBelowOneBlockNamesItsKey() {
        assertThatThrownBy(() -> KvPoolSize.from(Map.of("kv_cache_bytes", 1000), 16, 0).blocksFor(CODELLAMA_34B, 30L << 30, 1))
                .hasMessageContaining("model.kv_cache_bytes");
        assertThatThrownBy(() -> KvPoolSize.DEFAULT.blocksFor(CODELLAMA_34B, MIB, 1))
                .hasMessageContaining("model.kv_cache_memory_fraction");
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> KvPoolSize.from(Map.of("kv_cache_memory_fraction", 1.5), 16, 0))
                .hasMessageContaining("model.kv_cache_memory_fraction");
        assertThatThrownBy(() -> KvPoolSize.from(Map.of("kv_cache_memory_fraction", "most"), 16, 0))
                .hasMessageContaining("model.kv_cache_memory_fraction");
        assertThatThrownBy(() -> KvPoolSize.from(Map.of("kv_cache_bytes", "8GB"), 16, 0))
                .hasMessageContaining("model.kv_cache_bytes");
        assertThatThrownBy(() -> KvPoolSize.from(Map.of("kv_cache_bytes", -1), 16, 0))
                .hasMessageContaining("model.kv_cache_bytes");
        assertThatThrownBy(() -> KvPoolSize.from(Map.of(), 24, 0).blocksFor(CODELLAMA_34B, 30L << 30, 1))
                .hasMessageContaining("model.kv_block_size");
    }

    @Test
    void stringsFromYamlParse() {
        KvPoolSize kv = KvPoolSize.from(Map.of("kv_cache_bytes", "314572800", "kv_cache_memory_fraction", "0.5"), 16, 0);
        assertThat(kv.bytes()).isEqualTo(300 * MIB);
        assertThat(kv.memoryFraction()).isEqualTo(0.5);
    }
}
