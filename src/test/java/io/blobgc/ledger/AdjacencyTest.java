package io.blobgc.ledger;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ledger's edge lists against a plain set of pairs, through the array-to-set switch and back to empty. */
class AdjacencyTest {

    private static Set<Integer> sorted(int[] a) {
        return new TreeSet<>(Arrays.stream(a).boxed().toList());
    }

    @Test
    void behavesAsASetOfEdgesWhateverTheDegree() {
        Random rnd = new Random(7);
        Adjacency adj = new Adjacency();
        Set<Long> model = new HashSet<>();
        for (int step = 0; step < 200_000; step++) {
            int from = rnd.nextInt(4), to = rnd.nextInt(step < 100_000 ? 2_000 : 40); // degrees from 0 to ~2,000
            long key = (long) from << 32 | to;
            if (rnd.nextInt(3) > 0) assertEquals(model.add(key), adj.add(from, to), "add " + from + "->" + to);
            else {
                adj.remove(from, to);
                model.remove(key);
            }
        }
        for (int from = 0; from < 4; from++) {
            Set<Integer> expected = new TreeSet<>();
            for (long k : model) if ((int) (k >>> 32) == from) expected.add((int) k);
            assertEquals(expected, sorted(adj.targets(from)), "targets of " + from);
            assertEquals(!expected.isEmpty(), adj.has(from));
            for (int t : expected) adj.remove(from, t);
            assertFalse(adj.has(from), "no edge left from " + from);
            assertArrayEquals(new int[0], adj.targets(from));
        }
    }

    @Test
    void aLargeFanInKeepsEachEdgeOnce() {
        Adjacency adj = new Adjacency();
        for (int caller = 0; caller < 10_000; caller++) assertTrue(adj.add(0, caller));
        for (int caller = 0; caller < 10_000; caller++) assertFalse(adj.add(0, caller), "a duplicate edge");
        assertEquals(10_000, adj.targets(0).length);
        adj.removeAll(0);
        assertFalse(adj.has(0));
    }
}
