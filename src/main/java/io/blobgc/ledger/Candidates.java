package io.blobgc.ledger;

import java.util.ArrayDeque;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * The blobs the next cycle looks at, besides the unreferenced ones whose grace is over: those whose hold or status
 * changed since the last cycle ({@link #dirty}), and those used at some moment since — a use that starts and ends
 * between two cycles restarts the grace all the same (S3), and none of them is handed to the sweeper before the next
 * cycle looked at it. Soft and derived: never persisted, cleared when a cycle that decided is applied.
 */
final class Candidates {

    private final IntFunction<int[]> callees;
    private final IntSet dirty;
    /** Blobs that were protected (held, or reachable from a held blob) at some moment since the last cycle. */
    private final IntSet usedSinceCycle;
    /** Blobs whose whole dependency closure is in {@link #dirty} since the last cycle (see {@link #markClosure}). */
    private final IntSet closureDirty;
    /** Blobs whose whole dependency closure is in {@link #usedSinceCycle} since the last cycle. */
    private final IntSet closureUsed;
    /** The dirty blobs the last cycle did not look at (its transitions at their limit), in the order it met them. */
    private int[] carried = new int[0];

    /**
     * @param newSet  makes a set of ids for a given expected size (the ledger's, so each set has its own seed)
     * @param callees a blob's dependencies
     */
    Candidates(IntFunction<IntSet> newSet, IntFunction<int[]> callees) {
        this.callees = callees;
        this.dirty = newSet.apply(8);
        this.usedSinceCycle = newSet.apply(8);
        this.closureDirty = newSet.apply(8);
        this.closureUsed = newSet.apply(8);
    }

    /** {@code b}'s hold or status changed: the next cycle looks at it. */
    void dirty(int b) {
        dirty.add(b);
    }

    /** {@code b} is protected now (and changed): the next cycle looks at it as used. */
    void used(int b) {
        usedSinceCycle.add(b);
        dirty.add(b);
    }

    boolean isDirty(int b) {
        return dirty.contains(b);
    }

    boolean usedSinceCycle(int b) {
        return usedSinceCycle.contains(b);
    }

    /** Whether {@code b}'s whole closure was marked used since the last cycle. */
    boolean closureUsed(int b) {
        return closureUsed.contains(b);
    }

    void forEachDirty(IntConsumer action) {
        dirty.forEach(action);
    }

    /**
     * Dirties the dependency closure below {@code b} ({@code b} excluded); {@code used}: it is protected now. The walk
     * stops at a blob whose closure was marked so since the last cycle ({@link #closureDirty}, {@link #closureUsed}):
     * every blob below it is marked already, and so is what an edge added since brought below it (the edge marked
     * its callee's closure). Each blob is walked at most once per cycle and kind, so a chain grown one edge at a time
     * costs O(edges), not O(edges²) (issue 20: a long chain and fan-ins onto it froze the coordinator).
     */
    void markClosure(int b, boolean used) {
        if (b < 0) return;
        ArrayDeque<Integer> todo = new ArrayDeque<>();
        todo.add(b);
        while (!todo.isEmpty()) {
            int x = todo.poll();
            if (used ? !closureUsed.add(x) : !closureDirty.add(x)) continue;
            if (used) closureDirty.add(x);
            for (int d : callees.apply(x)) {
                dirty.add(d);
                if (used) usedSinceCycle.add(d);
                todo.add(d);
            }
        }
    }

    /**
     * A cycle that decided was applied: it looked at all of them but {@code carried}, which stay candidates (and
     * used, if they were) for the next cycle.
     */
    void cycleApplied(int[] carried) {
        boolean[] used = new boolean[carried.length];
        for (int i = 0; i < carried.length; i++) used[i] = usedSinceCycle.contains(carried[i]);
        dirty.clear();
        usedSinceCycle.clear();
        closureDirty.clear();
        closureUsed.clear();
        for (int i = 0; i < carried.length; i++) {
            dirty.add(carried[i]);
            if (used[i]) usedSinceCycle.add(carried[i]);
        }
        this.carried = carried;
    }

    /** What the last cycle left for the next (see {@link #cycleApplied}): the next one looks at them first. */
    int[] carried() {
        return carried;
    }

    /** {@code b} is forgotten; its id may be reused: the new blob's closure is not marked. */
    void forget(int b) {
        closureDirty.remove(b);
        closureUsed.remove(b);
    }
}
