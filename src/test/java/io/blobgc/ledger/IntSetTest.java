package io.blobgc.ledger;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IntSetTest {

    /** Adds, removes and lookups agree with java.util's set, through growth and backward-shift deletion. */
    @Test
    void behavesAsASet() {
        SplittableRandom rnd = new SplittableRandom(7);
        IntSet s = new IntSet(8, IntSet.seed(1));
        Set<Integer> expected = new HashSet<>();
        for (int i = 0; i < 200_000; i++) {
            int v = rnd.nextInt(5_000);
            if (rnd.nextBoolean()) assertEquals(expected.add(v), s.add(v), "add " + v);
            else assertEquals(expected.remove(v), s.remove(v), "remove " + v);
            if (i % 1_000 == 0) {
                int probe = rnd.nextInt(5_000);
                assertEquals(expected.contains(probe), s.contains(probe), "contains " + probe);
            }
        }
        assertEquals(expected.size(), s.size());
        int[] members = s.toArray();
        Arrays.sort(members);
        assertEquals(expected.stream().sorted().toList(), Arrays.stream(members).boxed().toList());
    }

    /** A set a burst grew gives its room back once emptied below a quarter, keeping its members (issue 24). */
    @Test
    void trimShrinksASetThatABurstGrewAndKeepsItsMembers() {
        IntSet s = new IntSet(8, IntSet.seed(3));
        for (int i = 0; i < 100_000; i++) s.add(i * 7);
        int grown = s.capacity();
        for (int i = 10; i < 100_000; i++) s.remove(i * 7);
        s.trim();
        assertTrue(s.capacity() <= 64, "10 members in " + s.capacity() + " slots (grown to " + grown + ")");
        for (int i = 0; i < 10; i++) assertTrue(s.contains(i * 7));
        assertEquals(10, s.size());
        s.trim();
        assertEquals(10, s.size());
    }

    /**
     * Issue 24: the first members of many sets in their slot order (a node's first blobs, say), gathered in one set, do
     * not pile up there. With one fixed hash for every set, those members all have home slots at the start of any
     * table: one run of thousands of slots to probe (the benchmark's ingest slowed fivefold for good).
     */
    @Test
    void theFirstMembersOfManySetsInSlotOrderDoNotClusterInAnother() {
        SplittableRandom rnd = new SplittableRandom(11);
        IntSet gathered = new IntSet(5_000, IntSet.seed(0));
        for (int n = 1; n <= 50; n++) {
            IntSet node = new IntSet(10_000, IntSet.seed(n));
            while (node.size() < 10_000) node.add(rnd.nextInt(1_000_000));
            int[] inSlotOrder = node.toArray();
            for (int i = 0; i < 100; i++) gathered.add(inSlotOrder[i]);
        }
        assertTrue(gathered.maxDisplacement() < 64, "longest probe: " + gathered.maxDisplacement() + " slots");
    }
}
