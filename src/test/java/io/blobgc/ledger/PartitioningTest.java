package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hash space split by prefix (partitions.md, step 1): P = 1 owns everything, ranges in order, no gap, no overlap. */
class PartitioningTest {

    private static final BlobHash MIN = new BlobHash(0, 0, 0, 0);
    private static final BlobHash MAX = new BlobHash(-1L, -1L, -1L, -1L);
    private static final int[] EVERY_P = {1, 2, 4, 8, 16, 32, 64, 128, 256};

    @Test
    void aNumberThatIsNotAPowerOfTwoFrom1To256IsRefused() {
        for (int p : new int[]{0, -1, -2, 3, 5, 6, 7, 12, 100, 255, 257, 384, 512, 1 << 30, Integer.MIN_VALUE,
                Integer.MAX_VALUE}) {
            var e = assertThrows(IllegalArgumentException.class, () -> Partitioning.of(p), "P = " + p);
            assertTrue(e.getMessage().contains("power of two from 1 to 256") && e.getMessage().endsWith("not " + p),
                    e.getMessage());
        }
        for (int p : EVERY_P) assertEquals(p, Partitioning.of(p).count());
    }

    @Test
    void onePartitionOwnsEveryHash() {
        Partitioning one = Partitioning.of(1);
        for (BlobHash h : sample(new Random(1), 2000)) assertEquals(0, one.partitionOf(h), h.toHex());
        assertEquals(MIN, one.lowest(0));
        assertEquals(MAX, one.highest(0));
        assertEquals(0, one.partitionOf(MIN));
        assertEquals(0, one.partitionOf(MAX));
    }

    @Test
    void thePartitionIsTheTopBitsOfTheFirstLong() {
        assertEquals(0, Partitioning.of(2).partitionOf(new BlobHash(0x7fff_ffff_ffff_ffffL, -1L, -1L, -1L)));
        assertEquals(1, Partitioning.of(2).partitionOf(new BlobHash(0x8000_0000_0000_0000L, 0, 0, 0)));
        assertEquals(1, Partitioning.of(4).partitionOf(new BlobHash(0x4000_0000_0000_0000L, 0, 0, 0)));
        assertEquals(3, Partitioning.of(4).partitionOf(new BlobHash(0xc000_0000_0000_0001L, 0, 0, 0)));
        assertEquals(0xab, Partitioning.of(256).partitionOf(BlobHash.parse("ab" + "00".repeat(31))));
        assertEquals(0xab, Partitioning.of(256).partitionOf(BlobHash.parse("ab" + "ff".repeat(31))));
        assertEquals(255, Partitioning.of(256).partitionOf(MAX));
        assertEquals(0, Partitioning.of(256).partitionOf(MIN));
        // only the first long counts
        assertEquals(2, Partitioning.of(8).partitionOf(new BlobHash(0x5000_0000_0000_0000L, -1L, -1L, -1L)));
    }

    @Test
    void theRangesCoverTheHashSpaceInOrderWithoutGapOrOverlap() {
        for (int count : EVERY_P) {
            Partitioning ps = Partitioning.of(count);
            assertEquals(MIN, ps.lowest(0), "P = " + count);
            assertEquals(MAX, ps.highest(count - 1), "P = " + count);
            for (int p = 0; p < count; p++) {
                assertTrue(ps.lowest(p).compareTo(ps.highest(p)) < 0, "P = " + count + ", partition " + p);
                assertEquals(p, ps.partitionOf(ps.lowest(p)));
                assertEquals(p, ps.partitionOf(ps.highest(p)));
                if (p > 0) assertEquals(ps.lowest(p), next(ps.highest(p - 1)), "P = " + count + ": adjacent at " + p);
            }
        }
    }

    @Test
    void eachPartitionsRangeHoldsExactlyItsHashes() {
        Random random = new Random(24);
        for (int count : new int[]{2, 4, 16, 256}) {
            Partitioning ps = Partitioning.of(count);
            List<BlobHash> hashes = sample(random, 3000);
            for (int p = 0; p < count; p++) { // the hashes next to every boundary, on both sides
                hashes.add(ps.lowest(p));
                hashes.add(ps.highest(p));
                if (p > 0) hashes.add(previous(ps.lowest(p)));
                if (p < count - 1) hashes.add(next(ps.highest(p)));
            }
            for (BlobHash h : hashes) {
                int owner = ps.partitionOf(h);
                for (int p = 0; p < count; p++) {
                    boolean inRange = ps.lowest(p).compareTo(h) <= 0 && h.compareTo(ps.highest(p)) <= 0;
                    assertEquals(p == owner, inRange, "P = " + count + ", partition " + p + ", " + h.toHex());
                }
            }
        }
    }

    @Test
    void aPartitionOutsideTheCountHasNoRange() {
        Partitioning four = Partitioning.of(4);
        assertThrows(IllegalArgumentException.class, () -> four.lowest(4));
        assertThrows(IllegalArgumentException.class, () -> four.highest(-1));
        assertThrows(IllegalArgumentException.class, () -> Partitioning.of(1).highest(1));
    }

    private static List<BlobHash> sample(Random random, int n) {
        List<BlobHash> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new BlobHash(random.nextLong(), random.nextLong(), random.nextLong(), random.nextLong()));
        }
        return out;
    }

    /** The hash after {@code h} (h is not the last). */
    private static BlobHash next(BlobHash h) {
        long[] w = {h.w0(), h.w1(), h.w2(), h.w3()};
        for (int i = 3; i >= 0 && ++w[i] == 0; i--) {
            // carried into the word before
        }
        return new BlobHash(w[0], w[1], w[2], w[3]);
    }

    /** The hash before {@code h} (h is not the first). */
    private static BlobHash previous(BlobHash h) {
        long[] w = {h.w0(), h.w1(), h.w2(), h.w3()};
        for (int i = 3; i >= 0 && w[i]-- == 0; i--) {
            // borrowed from the word before
        }
        return new BlobHash(w[0], w[1], w[2], w[3]);
    }
}
