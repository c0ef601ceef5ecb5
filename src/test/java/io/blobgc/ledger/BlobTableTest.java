package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The open-addressing table behind the ledger. */
class BlobTableTest {

    /**
     * Found by the simulation (a journal replay whose ledger answered a status for a pruned blob): the add that grew
     * the index inserted its id twice, so removing that blob left a slot pointing at a freed id.
     */
    /**
     * A partition's blobs all share the top bits of their hash (issue 24: {@link Partitioning}); a table homed on those
     * bits crowded them into a sliver of its slots, and at P = 2 a benchmark's ingest ran for minutes.
     */
    @Test
    void hashesThatShareTheirPartitionPrefixSpreadOverTheWholeIndex() {
        Partitioning p = Partitioning.of(16);
        BlobTable t = new BlobTable(16);
        int added = 0;
        for (int i = 0; added < 50_000; i++) {
            BlobHash h = BlobHash.sha256(("partition blob " + i).getBytes());
            if (p.partitionOf(h) != 7) continue;
            t.add(h);
            added++;
        }
        assertTrue(t.maxDisplacement() < 200, "longest probe " + t.maxDisplacement() + " slots");
    }

    @Test
    void aBlobRemovedAfterItsAddGrewTheIndexIsGoneAndEveryOtherStaysFindable() {
        BlobTable t = new BlobTable(4);
        List<BlobHash> added = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            BlobHash h = BlobHash.sha256(("blob " + i).getBytes());
            added.add(h);
            int id = t.add(h);
            // remove every blob once, right after its add: whichever add grew the index is covered
            t.remove(id);
            assertEquals(-1, t.find(h), "a removed blob is still found (add " + i + ")");
            assertEquals(id, t.add(h));
        }
        for (BlobHash h : added) {
            int id = t.find(h);
            assertEquals(h, t.hash(id));
            assertFalse(t.isFree(id));
        }
        assertEquals(added.size(), t.size());
    }

    /**
     * The index keeps a tag of each hash beside its id: hashes with the same home slot and the same tag (they differ
     * only in bits neither uses) are still told apart, and adds and removes (backward shifts move tags with ids) agree
     * with a map all along.
     */
    @Test
    void hashesThatShareHomeAndTagAreToldApartThroughAddsAndRemoves() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
        BlobTable t = new BlobTable(16);
        java.util.Map<BlobHash, Integer> ids = new java.util.HashMap<>();
        List<BlobHash> pool = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            // a third of them collide on home and tag: same w0 and w1, different w2
            pool.add(i % 3 == 0 ? new BlobHash(42L << 32, 7L << 56, i, i) : BlobHash.sha256(("b" + i).getBytes()));
        }
        for (int step = 0; step < 60_000; step++) {
            BlobHash h = pool.get(rnd.nextInt(pool.size()));
            Integer id = ids.get(h);
            if (id == null) {
                ids.put(h, t.add(h));
            } else if (rnd.nextInt(3) == 0) {
                t.remove(id);
                ids.remove(h);
            }
            BlobHash probe = pool.get(rnd.nextInt(pool.size()));
            assertEquals(ids.getOrDefault(probe, -1).intValue(), t.find(probe), "find " + probe);
        }
        for (var e : ids.entrySet()) assertEquals(e.getValue().intValue(), t.find(e.getKey()));
        assertEquals(ids.size(), t.size());
    }

    /** Rows live in pages: a table grows page by page, and every row keeps its facts across page boundaries. */
    @Test
    void rowsInManyPagesKeepTheirFactsAndFreedIdsAreReused() {
        BlobTable t = new BlobTable(16);
        int n = 3 * BlobTable.PAGE_ROWS + 5;
        List<BlobHash> hashes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BlobHash h = BlobHash.sha256(("row " + i).getBytes());
            hashes.add(h);
            int id = t.add(h);
            assertEquals(i, id);
            t.time(id, 1000L + i);
            t.cycle(id, i);
            t.addRefs(id, i % 3);
            if (i % 5 == 0) t.status(id, BlobStatus.UNREFERENCED);
        }
        for (int i = 0; i < n; i++) {
            int id = t.find(hashes.get(i));
            assertEquals(i, id);
            assertEquals(hashes.get(i), t.hash(id));
            assertEquals(1000L + i, t.time(id));
            assertEquals(i, t.cycle(id));
            assertEquals(i % 3, t.refs(id));
            assertEquals(i % 5 == 0 ? BlobStatus.UNREFERENCED : BlobStatus.ACTIVE, t.status(id));
        }
        int inSecondPage = BlobTable.PAGE_ROWS + 7;
        t.remove(inSecondPage);
        assertEquals(-1, t.find(hashes.get(inSecondPage)));
        BlobHash again = BlobHash.sha256("a new blob".getBytes());
        assertEquals(inSecondPage, t.add(again), "a freed id is reused, in its page");
        assertEquals(again, t.hash(inSecondPage));
        assertEquals(0, t.refs(inSecondPage));
        assertEquals(n, t.size());
    }

    /**
     * A row names its (cycle, time) pair in {@link Stamps} (issue 24: 40-byte rows): blobs decided together share one
     * pair, a pair no blob has any more is freed, a cycle keeps its low 32 bits as the row did, and a freed id's new
     * blob starts at (0, 0).
     */
    @Test
    void blobsShareTheirCycleAndTimePairsAndAPairNoBlobHasIsFreed() {
        BlobTable t = new BlobTable(16);
        int n = 10_000;
        for (int i = 0; i < n; i++) {
            int id = t.add(BlobHash.sha256(("stamped " + i).getBytes()));
            t.time(id, 5_000L + i % 3);
            t.cycle(id, 7);
        }
        // each blob passed through (0, 5000 + i % 3) on its way: those pairs are gone, the three decided ones stay
        assertEquals(3, t.stamps());
        for (int id = 0; id < n; id++) {
            assertEquals(5_000L + id % 3, t.time(id));
            assertEquals(7, t.cycle(id));
        }
        for (int id = 0; id < n; id += 3) t.cycle(id, 8); // a later cycle decides a third of them again
        assertEquals(3, t.stamps(), "(7, 5000) is no blob's any more: freed, (8, 5000) takes its place");
        assertEquals(8, t.cycle(0));
        assertEquals(5_000L, t.time(0));
        t.cycle(1, (1L << 32) + 9);
        assertEquals(9, t.cycle(1), "the low 32 bits, as a row kept them");
        for (int id = 0; id < n; id++) t.remove(id);
        assertEquals(0, t.stamps());
        int again = t.add(BlobHash.sha256("a new blob".getBytes()));
        assertEquals(0, t.time(again));
        assertEquals(0, t.cycle(again));
        t.cycleAndTime(again, (1L << 32) + 3, 42);
        assertEquals(3, t.cycle(again));
        assertEquals(42, t.time(again));
        assertEquals(1, t.stamps(), "set at once: no passing pair left behind");
    }

    /**
     * {@link BlobTable#findAll} answers what {@link BlobTable#find} answers, hash by hash: present and absent hashes
     * mixed, hashes that share a home slot and a tag (the home slot's row is another's), hashes that share only a home
     * slot (the probe goes on past another's tag), probes that wrap past the last slot, batches longer than one block,
     * duplicates — through adds and removes (backward shifts move ids between slots).
     */
    @Test
    void findAllAnswersAsFindDoesForEachHash() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(24);
        BlobTable t = new BlobTable(16);
        List<BlobHash> pool = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            pool.add(switch (i % 4) {
                case 0 -> new BlobHash(42L << 32, 7L << 56, i, i); // same home and tag
                case 1 -> new BlobHash(43L << 32, (long) i << 56, i, i); // same home, tags differ
                case 2 -> new BlobHash(-1L, (long) i << 56, i, i); // the last slot: the probe wraps
                default -> BlobHash.sha256(("f" + i).getBytes());
            });
        }
        java.util.Set<BlobHash> known = new java.util.HashSet<>();
        for (int round = 0; round < 300; round++) {
            for (int k = 0; k < 40; k++) {
                BlobHash h = pool.get(rnd.nextInt(pool.size()));
                if (known.add(h)) t.add(h);
                else if (rnd.nextInt(3) == 0) {
                    t.remove(t.find(h));
                    known.remove(h);
                }
            }
            List<BlobHash> batch = new ArrayList<>();
            int n = rnd.nextInt(300);
            for (int k = 0; k < n; k++) batch.add(pool.get(rnd.nextInt(pool.size())));
            int[] out = new int[n + 1];
            out[n] = 12345; // past the batch: untouched
            t.findAll(batch, out);
            for (int k = 0; k < n; k++) {
                assertEquals(t.find(batch.get(k)), out[k], "round " + round + ", hash " + k + " " + batch.get(k));
                assertEquals(known.contains(batch.get(k)), out[k] >= 0);
            }
            assertEquals(12345, out[n]);
        }
    }
}
