package io.blobgc.ledger;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Directed edges between blob ids, by source (a caller's dependencies, or a callee's dependents): a source's few
 * targets in an exact-size array, its many in an {@link IntSet}. Adding, finding and removing an edge cost O(1)
 * (amortized) whatever the source's degree, so a fan-in of k callers onto one blob costs O(k) to build, to recover
 * and to prune, not O(k²) (issue 20: each new caller used to copy and scan the callee's whole array).
 */
final class Adjacency {

    private static final int[] NONE = new int[0];
    /** Up to this many targets stay in an array (a scan of it is cheaper than a set's hashing). */
    private static final int SMALL = 8;

    /** Each source's targets: an {@code int[]} of at most {@link #SMALL}, or an {@link IntSet}. */
    private final Map<Integer, Object> bySource = new HashMap<>();

    /** Adds the edge; false when it was there. */
    boolean add(int from, int to) {
        Object o = bySource.get(from);
        if (o == null) {
            bySource.put(from, new int[]{to});
            return true;
        }
        if (o instanceof IntSet s) return s.add(to);
        int[] a = (int[]) o;
        for (int x : a) if (x == to) return false;
        if (a.length < SMALL) {
            int[] grown = Arrays.copyOf(a, a.length + 1);
            grown[a.length] = to;
            bySource.put(from, grown);
        } else {
            IntSet s = new IntSet(4 * SMALL, IntSet.seed(from));
            for (int x : a) s.add(x);
            s.add(to);
            bySource.put(from, s);
        }
        return true;
    }

    /** Removes the edge (nothing when it is not there). */
    void remove(int from, int to) {
        Object o = bySource.get(from);
        if (o == null) return;
        if (o instanceof IntSet s) {
            s.remove(to);
            if (s.size() == 0) bySource.remove(from);
            return;
        }
        int[] a = (int[]) o;
        int i = 0;
        while (i < a.length && a[i] != to) i++;
        if (i == a.length) return;
        if (a.length == 1) {
            bySource.remove(from);
            return;
        }
        int[] kept = new int[a.length - 1];
        System.arraycopy(a, 0, kept, 0, i);
        System.arraycopy(a, i + 1, kept, i, a.length - i - 1);
        bySource.put(from, kept);
    }

    /** Removes every edge from {@code from}. */
    void removeAll(int from) {
        bySource.remove(from);
    }

    /** Whether {@code from} has any edge. */
    boolean has(int from) {
        return bySource.containsKey(from);
    }

    /** {@code from}'s targets (empty when none); the caller must not change the array. */
    int[] targets(int from) {
        Object o = bySource.get(from);
        if (o == null) return NONE;
        return o instanceof IntSet s ? s.toArray() : (int[]) o;
    }
}
