package dev.inferless.llm.model.fast;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inferless.llm.checkpoint.LlamaConfig;
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
        KvPoolSize kv = new KvPoolSize(16, 0, 0, 0.9);
        // 0.9 of 30 GiB = 27 GiB: 9216 blocks of 3 MiB
        assertThat(kv.blocksFor(CODELLAMA_34B, 30L << 30, 64)).isEqualTo(9216);
        KvPoolSize half = new KvPoolSize(16, 0, 0, 0.5);
        assertThat(half.blocksFor(CODELLAMA_34B, 30L << 30, 64)).isEqualTo(5120);
    }

    @Test
    void bytesThenBlocksTakePrecedence() {
        KvPoolSize bytes = new KvPoolSize(16, 0, 300 * MIB, 0.5);
        assertThat(bytes.blocksFor(CODELLAMA_34B, 30L << 30, 64)).isEqualTo(100);
        KvPoolSize blocks = new KvPoolSize(16, 42, 300 * MIB, 0.9);
        assertThat(blocks.blocksFor(CODELLAMA_34B, 30L << 30, 64)).isEqualTo(42);
    }

    @Test
    void neverMoreThanEverySequenceAtTheFullContextNeeds() {
        // 2 sequences of 16384 positions: 2 * 1024 blocks, though 27 GiB would hold 9216
        assertThat(KvPoolSize.DEFAULT.blocksFor(CODELLAMA_34B, 30L << 30, 2)).isEqualTo(2048);
    }

    @Test
    void aBudgetBelowOneBlockNamesItsKey() {
        assertThatThrownBy(() -> new KvPoolSize(16, 0, 1000, 0.9).blocksFor(CODELLAMA_34B, 30L << 30, 1))
                .hasMessageContaining("model.kv_cache_bytes");
        assertThatThrownBy(() -> KvPoolSize.DEFAULT.blocksFor(CODELLAMA_34B, MIB, 1))
                .hasMessageContaining("model.kv_cache_memory_fraction");
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> new KvPoolSize(16, 0, 0, 1.5)).hasMessageContaining("model.kv_cache_memory_fraction");
        assertThatThrownBy(() -> new KvPoolSize(16, 0, -1, 0.9)).hasMessageContaining("model.kv_cache_bytes");
        assertThatThrownBy(() -> new KvPoolSize(24, 0, 0, 0.9).blocksFor(CODELLAMA_34B, 30L << 30, 1))
                .hasMessageContaining("model.kv_block_size");
    }
}
