package dev.inferless.llm.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BlockManagerTest {

    private static int[] tokens(int from, int n) {
        return IntStream.range(from, from + n).toArray();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void aSequenceTakesBlocksAsItGrowsAndGivesThemBackWhenFreed() {
        BlockManager blocks = new BlockManager(4, 4, false);
        BlockManager.BlockTable t = blocks.allocate(tokens(0, 5));
        assertThat(t.blocks()).isEqualTo(2);
        assertThat(blocks.usage()).isEqualTo(0.5);
        assertThat(blocks.grow(t, 8)).isTrue();
        assertThat(t.blocks()).isEqualTo(2);
        assertThat(blocks.grow(t, 9)).isTrue();
        assertThat(t.ids()).doesNotHaveDuplicates().hasSize(3);
        assertThat(blocks.grow(t, 17)).as("needs 5 blocks of a pool of 4").isFalse();
        assertThat(t.blocks()).as("a failed grow takes nothing").isEqualTo(3);
        blocks.free(t);
        assertThat(blocks.usage()).isZero();
        assertThat(blocks.allocate(tokens(0, 16)).blocks()).isEqualTo(4);
    }

    @Test
    void allocationFailsWithoutChangingAnythingWhenThePoolIsShort() {
        BlockManager blocks = new BlockManager(3, 4, false);
        BlockManager.BlockTable a = blocks.allocate(tokens(0, 8));
        assertThat(blocks.canAllocate(tokens(100, 5))).isFalse();
        assertThat(blocks.allocate(tokens(100, 5))).isNull();
        assertThat(blocks.usage()).isEqualTo(2.0 / 3);
        blocks.free(a);
        assertThat(blocks.allocate(tokens(100, 5))).isNotNull();
    }

    @Test
    void aSecondSequenceWithTheSamePrefixReusesItsFullBlocks() {
        BlockManager blocks = new BlockManager(16, 4, true);
        int[] shared = tokens(0, 10); // two full blocks and two tokens
        int[] first = concat(shared, tokens(500, 3));
        BlockManager.BlockTable a = blocks.allocate(first);
        assertThat(a.cachedTokens()).isZero();
        blocks.cacheComputed(a, first, first.length);

        int[] second = concat(shared, tokens(700, 6));
        BlockManager.BlockTable b = blocks.allocate(second);
        assertThat(b.cachedTokens()).isEqualTo(8);
        assertThat(Arrays.copyOf(b.ids(), 2)).containsExactly(Arrays.copyOf(a.ids(), 2));
        assertThat(b.ids()[2]).as("the partly shared third block is its own").isNotEqualTo(a.ids()[2]);
        assertThat(blocks.queriedTokens()).isEqualTo(first.length + second.length);
        assertThat(blocks.hitTokens()).isEqualTo(8);
        // 4 blocks of a, 2 more of b (4 in all, 2 shared): 6 referenced
        assertThat(blocks.usage()).isEqualTo(6.0 / 16);
    }

    @Test
    void onlyComputedBlocksAreFoundAndAHitLeavesTheLastTokenToCompute() {
        BlockManager blocks = new BlockManager(16, 4, true);
        int[] prompt = tokens(0, 12);
        BlockManager.BlockTable a = blocks.allocate(prompt);
        blocks.cacheComputed(a, prompt, 5);
        assertThat(blocks.allocate(prompt).cachedTokens()).as("one block computed so far").isEqualTo(4);
        blocks.cacheComputed(a, prompt, 12);
        assertThat(blocks.allocate(prompt).cachedTokens()).as("all but the last block: its last token needs logits")
                .isEqualTo(8);
        assertThat(blocks.allocate(tokens(0, 13)).cachedTokens()).isEqualTo(12);
    }

    @Test
    void aBlockIsFoundOnlyAfterTheSameTokensBeforeIt() {
        BlockManager blocks = new BlockManager(16, 4, true);
        int[] prompt = concat(tokens(0, 4), tokens(50, 5));
        BlockManager.BlockTable a = blocks.allocate(prompt);
        blocks.cacheComputed(a, prompt, prompt.length);
        int[] otherStart = concat(tokens(1, 4), tokens(50, 5)); // same second block, different first
        assertThat(blocks.allocate(otherStart).cachedTokens()).isZero();
    }

    @Test
    void freedCachedBlocksStayFindableUntilThePoolNeedsThemOldestFirst() {
        BlockManager blocks = new BlockManager(4, 4, true);
        int[] p = tokens(0, 9);  // blocks: [0..4) [4..8) [8]
        BlockManager.BlockTable a = blocks.allocate(p);
        blocks.cacheComputed(a, p, p.length);
        blocks.free(a);
        assertThat(blocks.usage()).as("cached unreferenced blocks count as free").isZero();

        BlockManager.BlockTable again = blocks.allocate(p);
        assertThat(again.cachedTokens()).isEqualTo(8);
        blocks.free(again);

        // 4 fresh blocks: 2 free ones, then the two cached ones are taken back, the longer prefix's tail first
        BlockManager.BlockTable other = blocks.allocate(tokens(100, 13));
        assertThat(other.blocks()).isEqualTo(4);
        blocks.free(other);
        assertThat(blocks.allocate(p).cachedTokens()).isZero();
    }

    @Test
    void evictionTakesTheLeastRecentlyFreedFirst() {
        BlockManager blocks = new BlockManager(3, 2, true);
        int[] x = {1, 2, 3}, y = {7, 8, 9};
        BlockManager.BlockTable a = blocks.allocate(x);
        blocks.cacheComputed(a, x, 3);
        blocks.free(a);                      // x's block cached, freed first
        BlockManager.BlockTable b = blocks.allocate(y);
        blocks.cacheComputed(b, y, 3);
        blocks.free(b);                      // y's block cached, freed later
        BlockManager.BlockTable c = blocks.allocate(new int[] {40, 41, 42}); // the free block, then one evicted
        assertThat(c.blocks()).isEqualTo(2);
        blocks.free(c);
        BlockManager.BlockTable xAgain = blocks.allocate(x);
        assertThat(xAgain.cachedTokens()).as("freed first, evicted first").isZero();
        blocks.free(xAgain);
        assertThat(blocks.allocate(y).cachedTokens()).isEqualTo(2);
    }

    @Test
    void aReferencedCachedBlockIsNeverEvicted() {
        BlockManager blocks = new BlockManager(3, 2, true);
        int[] p = {1, 2, 3};
        BlockManager.BlockTable a = blocks.allocate(p);
        blocks.cacheComputed(a, p, 3);
        BlockManager.BlockTable b = blocks.allocate(p); // shares a's first block
        assertThat(b.cachedTokens()).isEqualTo(2);
        assertThat(blocks.allocate(new int[] {9, 9, 9})).as("one block left, two needed").isNull();
        int shared = a.ids()[0];
        blocks.free(a);
        BlockManager.BlockTable other = blocks.allocate(new int[] {9, 9});
        assertThat(other.ids()).doesNotContain(shared);
        blocks.free(other);
        assertThat(blocks.allocate(p).cachedTokens()).as("still cached: b holds it").isEqualTo(2);
    }

    @Test
    void aCachedBlockTakenBackIntoUseIsNoLongerEvictable() {
        BlockManager blocks = new BlockManager(2, 2, true);
        int[] p = {1, 2, 3};
        BlockManager.BlockTable a = blocks.allocate(p);
        blocks.cacheComputed(a, p, 3);
        blocks.free(a);
        BlockManager.BlockTable b = blocks.allocate(p);
        assertThat(b.cachedTokens()).isEqualTo(2);
        assertThat(blocks.allocate(new int[] {5, 6})).as("both blocks are b's").isNull();
        assertThat(blocks.usage()).isEqualTo(1.0);
    }

    @Test
    void reusingAnEvictableBlockDoesNotCountItAsFreeForTheRest() {
        BlockManager blocks = new BlockManager(2, 2, true);
        int[] p = {1, 2, 3};
        BlockManager.BlockTable a = blocks.allocate(p);
        blocks.cacheComputed(a, p, 3);
        blocks.free(a); // 1 cached evictable + 1 free
        int[] longer = {1, 2, 3, 4, 5}; // reuses the cached block and needs 2 more: only 1 exists
        assertThat(blocks.canAllocate(longer)).isFalse();
        assertThat(blocks.allocate(longer)).isNull();
        assertThat(blocks.allocate(new int[] {1, 2, 3, 4}).cachedTokens()).isEqualTo(2);
    }

    @Test
    void withPrefixCachingOffNothingIsShared() {
        BlockManager blocks = new BlockManager(8, 2, false);
        int[] p = {1, 2, 3, 4, 5};
        BlockManager.BlockTable a = blocks.allocate(p);
        blocks.cacheComputed(a, p, 5);
        assertThat(blocks.allocate(p).cachedTokens()).isZero();
        assertThat(blocks.hitTokens()).isZero();
    }
}
