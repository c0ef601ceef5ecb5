package io.blobgc.ledger;

import java.util.ArrayDeque;
import java.util.function.IntFunction;

/**
 * The blobs the next cycle looks at, besides the unreferenced ones whose grace is over: those whose hold or status
 * changed since the last cycle ({@link #dirty}), and those used at some moment since — a use that starts and ends
 * between two cycles restarts the grace all the same (S3), and none of them is handed to the sweeper before the next
 * cycle looked at it. Soft and derived: never persisted. The dirty blobs wait in the order they became dirty: a cycle
 * looks at them from the first, and those it looked at stop being candidates when it is applied — a cycle whose
 * transitions reach their limit leaves the rest, in order, for the next (issue 24: its cost is what it looks at, not the
 * backlog: 10M blobs registered at once are decided 50,000 a cycle without a cycle ever walking all of them).
 */
final class Candidates {

    private final IntFunction<int[]> callees;
    private final IntSet dirty;
    /** The {@link #dirty} blobs, in the order they became dirty. */
    private final IntQueue dirtyOrder = new IntQueue();
    /** Blobs that were protected (held, or reachable from a held blob) at some moment since the last cycle. */
    private final IntSet usedSinceCycle;
    /** Blobs whose whole dependency closure is in {@link #dirty} since the last cycle (see {@link #markClosure}). */
    private final IntSet closureDirty;
    /** Blobs whose whole dependency closure is in {@link #usedSinceCycle} since the last cycle. */
    private final IntSet closureUsed;

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
        if (dirty.add(b)) dirtyOrder.addLast(b);
    }

    /** {@code b} is protected now (and changed): the next cycle looks at it as used. */
    void used(int b) {
        usedSinceCycle.add(b);
        dirty(b);
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

    /** How many blobs are dirty; {@link #dirtyAt} reads them in the order they became dirty. */
    int dirtyCount() {
        return dirtyOrder.size();
    }

    /** The i-th dirty blob, the first to become dirty at 0. */
    int dirtyAt(int i) {
        return dirtyOrder.get(i);
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
                dirty(d);
                if (used) usedSinceCycle.add(d);
                todo.add(d);
            }
        }
    }

    /**
     * A cycle that decided was applied: it looked at the first {@code lookedAt} dirty blobs (all of them unless its
     * transitions reached their limit); the others stay candidates, used if they were, first in line for the next.
     */
    void cycleApplied(int lookedAt) {
        if (lookedAt == dirtyOrder.size()) { // it looked at all of them (the usual cycle): emptied in one sweep each,
            clear();                         // cheaper than a removal (and its backward shift) per blob
            return;
        }
        for (int i = 0; i < lookedAt; i++) {
            int b = dirtyOrder.get(i);
            dirty.remove(b);
            usedSinceCycle.remove(b);
        }
        dirtyOrder.removeFirst(lookedAt);
        dirty.trim(); // once a backlog (a bulk registration, a recovery) drains, its room goes back
        usedSinceCycle.trim();
        dirtyOrder.trim();
        closureDirty.clear();
        closureUsed.clear();
    }

    /**
     * No candidates: a cycle looked at them all, or one was applied from the journal (a replay: soft state is rebuilt
     * after the recovery).
     */
    void clear() {
        dirty.clear();
        dirtyOrder.clear();
        usedSinceCycle.clear();
        closureDirty.clear();
        closureUsed.clear();
    }

    /** {@code b} is forgotten; its id may be reused: the new blob's closure is not marked. */
    void forget(int b) {
        closureDirty.remove(b);
        closureUsed.remove(b);
    }
}
