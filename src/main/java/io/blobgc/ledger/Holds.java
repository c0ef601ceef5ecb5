package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * Where the two halves of the {@link Ledger} meet: a blob's direct hold — references and node pins from the
 * {@link NodeViews}, operator pins from the {@link Registry} — and what a change of it means for the next cycle
 * ({@link Candidates}), and for what this partition exports to others ({@link Exports}: every change that may
 * change a blob's protection flips it there). It answers the views' and the registry's callbacks and changes no
 * persistent state.
 */
final class Holds implements NodeViews.Registry, Registry.Soft {

    private final BlobTable table;
    private final DependencyGraph graph;
    private final Candidates candidates;
    private final Exports exports;
    private final IntPredicate operatorPinned;
    private final IntFunction<IntSet> newSet;
    private final IntPredicate held;
    /** How many node views pin each blob (soft). */
    private final Map<Integer, Integer> nodePins = new HashMap<>();

    /** @param operatorPinned whether a blob has an operator pin (the registry's) */
    Holds(BlobTable table, DependencyGraph graph, Candidates candidates, Exports exports, IntPredicate operatorPinned,
          IntFunction<IntSet> newSet) {
        this.table = table;
        this.graph = graph;
        this.candidates = candidates;
        this.exports = exports;
        this.operatorPinned = operatorPinned;
        this.newSet = newSet;
        this.held = table::held;
    }

    /** Held directly, or reachable through dependencies from a blob that is held directly. */
    boolean isProtected(int b) {
        if (table.held(b)) return true;
        if (!table.flag(b, BlobTable.FLAG_HAS_DEPENDENTS)) return false;
        return isProtected(b, newSet.apply(8), newSet.apply(8));
    }

    /** {@link #isProtected(int)} for many blobs of one unchanging state: see {@link DependencyGraph#isProtected}. */
    boolean isProtected(int b, IntSet yes, IntSet no) {
        return graph.isProtected(b, held, yes, no);
    }

    // ---- the views' holds

    @Override
    public int find(BlobHash hash) {
        return table.find(hash);
    }

    @Override
    public void findAll(List<BlobHash> hashes, int[] out) {
        table.findAll(hashes, out);
    }

    @Override
    public BlobStatus status(int b) {
        return table.status(b);
    }

    @Override
    public void holdChanged(int b, int refs, int pins) {
        boolean wasHeld = table.held(b);
        if (refs != 0) table.addRefs(b, refs);
        if (pins != 0) {
            if (nodePins.merge(b, pins, Integer::sum) <= 0) nodePins.remove(b);
            updatePinnedFlag(b);
        }
        holdChanged(b, wasHeld);
        if (pins != 0) candidates.dirty(b); // ACTIVE <-> PINNED is a status change even when the blob stays held
    }

    // ---- the registry's changes

    @Override
    public boolean held(int b) {
        return table.held(b);
    }

    @Override
    public void touched(int b) {
        candidates.dirty(b);
    }

    @Override
    public void edgeAdded(int caller, int callee) {
        // a new edge may protect the callee (S2): the next cycle looks at it and its closure
        // a caller whose closure was walked as used since the last cycle passes that on: the walk
        // stops at marked blobs, so everything below a marked one must be marked (review 20: a later
        // hold of an ancestor would otherwise not reach the new callee)
        boolean used = isProtected(caller) || candidates.closureUsed(caller);
        if (used) candidates.used(callee);
        else candidates.dirty(callee);
        // under a protected caller, the callee and its closure may be protected now: their remote callees exported
        if (used) exports.flipped(callee);
        // a callee held itself already keeps everything below it: a new caller changes nothing there
        // (a fan-in onto a held blob then costs O(1) per caller, not a walk of the callee's closure)
        if (!table.held(callee)) candidates.markClosure(callee, used);
    }

    @Override
    public void operatorPinsChanged(int b, boolean wasHeld) {
        updatePinnedFlag(b);
        holdChanged(b, wasHeld);
    }

    @Override
    public void forgotten(int b) {
        nodePins.remove(b);
        candidates.forget(b);
        exports.forget(b);
    }

    @Override
    public void remoteEdgeAdded(int caller, BlobHash callee) {
        exports.flipped(caller); // the flush recomputes the callee from its callers' protection
    }

    @Override
    public void dependenciesDropped(int b, int[] localCallees, List<BlobHash> remoteCallees) {
        for (int d : localCallees) exports.flipped(d); // b no longer protects them: nor their remote callees
        for (BlobHash c : remoteCallees) exports.recheck(c);
    }

    private void updatePinnedFlag(int b) {
        table.flag(b, BlobTable.FLAG_PINNED, nodePins.containsKey(b) || operatorPinned.test(b));
    }

    /**
     * A blob's direct hold flipped: it, and everything it keeps alive, needs a look next cycle — as used either way:
     * a hold that ends was a use until now, of the whole closure below it (review 20: after a snapshot recovery, a
     * callee left UNREFERENCED under a pinned caller would otherwise count its grace from before the unpin).
     */
    private void holdChanged(int b, boolean wasHeld) {
        boolean nowHeld = table.held(b);
        if (nowHeld == wasHeld) return;
        exports.flipped(b);
        if (nowHeld) candidates.used(b);
        else candidates.dirty(b);
        if (table.flag(b, BlobTable.FLAG_HAS_DEPS)) candidates.markClosure(b, true);
    }
}
