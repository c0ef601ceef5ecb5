package io.blobgc.ledger;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /**
     * {@link IntSet#update} agrees with java.util's set applying the same ops one by one: through growth (batches
     * that grow the set in their middle) and backward-shift deletion, with an id repeated within a batch, added then
     * removed (and removed then added) within one batch, batches over one block, and what each op answered.
     */
    @Test
    void updateAppliesABatchAsOneOpAfterAnother() {
        SplittableRandom rnd = new SplittableRandom(13);
        IntSet s = new IntSet(8, IntSet.seed(5));
        Set<Integer> expected = new HashSet<>();
        int[] ops = new int[1_000];
        boolean[] changed = new boolean[ops.length];
        for (int round = 0; round < 3_000; round++) {
            // a few rounds of mostly adds first (growth mid-batch), then a mix (deletions, and a shrinking set)
            int n = rnd.nextInt(round % 50 == 0 ? ops.length : 40);
            int range = round < 300 ? 20_000 : 3_000;
            double addShare = round < 300 ? 0.9 : 0.5;
            for (int i = 0; i < n; i++) {
                int v = rnd.nextInt(range);
                if (i > 0 && rnd.nextInt(8) == 0) { // an id this batch has already
                    int earlier = ops[rnd.nextInt(i)];
                    v = earlier >= 0 ? earlier : ~earlier;
                }
                ops[i] = rnd.nextDouble() < addShare ? v : ~v;
            }
            s.update(ops, n, changed);
            for (int i = 0; i < n; i++) {
                int op = ops[i];
                boolean e = op >= 0 ? expected.add(op) : expected.remove(~op);
                assertEquals(e, changed[i], "round " + round + ", op " + i + ": " + (op >= 0 ? "add " + op : "remove " + ~op));
            }
            assertEquals(expected.size(), s.size(), "round " + round);
            for (int k = 0; k < 20; k++) {
                int probe = rnd.nextInt(range);
                assertEquals(expected.contains(probe), s.contains(probe), "contains " + probe);
            }
        }
        int[] members = s.toArray();
        Arrays.sort(members);
        assertEquals(expected.stream().sorted().toList(), Arrays.stream(members).boxed().toList());
    }

    /** Within one batch, ops on the same id apply in their order: duplicates, add then remove, remove then add. */
    @Test
    void updateAppliesOpsOnTheSameIdInOrder() {
        IntSet s = new IntSet(8, IntSet.seed(9));
        boolean[] changed = new boolean[8];
        s.update(new int[]{7, 7, ~7, 7, ~7, ~7}, 6, changed);
        assertEquals(List.of(true, false, true, true, true, false), asList(changed, 6));
        assertFalse(s.contains(7));
        assertEquals(0, s.size());
        s.add(3);
        s.update(new int[]{~3, 3, 3, 4, ~4, 4}, 6, changed);
        assertEquals(List.of(true, true, false, true, true, true), asList(changed, 6));
        assertTrue(s.contains(3));
        assertTrue(s.contains(4));
        assertEquals(2, s.size());
        // ids whose home slots collide: a removal backward-shifts the next one, which a later op of the batch finds
        IntSet one = new IntSet(8, IntSet.seed(9));
        int[] all = new int[200];
        for (int i = 0; i < 100; i++) all[i] = i;
        for (int i = 0; i < 100; i += 2) all[100 + i / 2] = ~i;
        for (int i = 0; i < 100; i += 2) all[150 + i / 2] = i + 1;
        boolean[] c = new boolean[all.length];
        one.update(all, all.length, c);
        for (int i = 0; i < 150; i++) assertTrue(c[i], "op " + i);
        for (int i = 150; i < 200; i++) assertFalse(c[i], "op " + i);
        for (int i = 0; i < 100; i++) assertEquals(i % 2 == 1, one.contains(i), "contains " + i);
        assertEquals(50, one.size());
    }

    private static List<Boolean> asList(boolean[] b, int n) {
        List<Boolean> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(b[i]);
        return out;
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
