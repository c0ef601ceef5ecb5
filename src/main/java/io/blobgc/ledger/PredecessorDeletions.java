package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What earlier coordinator instances may still be deleting, across any number of takeovers (S10). Every takeover
 * write starts a new <em>generation</em>; a hash handed to a sweeper remembers the first generation that handed it
 * out; a deletion confirmed by a later generation was finished <em>for a predecessor</em>, whose sweeper may still
 * hold the hash in a batch until its deadline. Such hashes are remembered — in events and snapshots, so that a third
 * instance that takes over from the second still refuses their new content for its own window — until an instance
 * writes that its window is over ({@link #applyPredecessorsDone}: every instance before it can delete nothing more),
 * or the hash takes new content. Part of the ledger's persistent state.
 */
final class PredecessorDeletions {

    /** Takeovers written so far: the generation of the instance writing now. */
    private int generation;
    /** Instances of a generation below this one can delete nothing more (one of a later generation said so). */
    private int doneBelow;
    /** DELETING blobs and condemned orphans handed to a sweeper: the first generation that handed each out. */
    private final Map<BlobHash, Integer> handedOutIn = new LinkedHashMap<>();
    /** Deleted by a later generation than handed them out: that generation may still delete them. */
    private final Map<BlobHash, Integer> deletedForPredecessor = new LinkedHashMap<>();

    void applyTookOver() {
        generation++;
    }

    int generation() {
        return generation;
    }

    int doneBelow() {
        return doneBelow;
    }

    /** A sweeper was handed {@code h} (a DELETING blob or a condemned orphan) in this generation. */
    void applyHandedOut(BlobHash h) {
        handedOutIn.putIfAbsent(h, generation);
    }

    /** {@code h}'s deletion was confirmed in this generation. */
    void applyDeleted(BlobHash h) {
        Integer by = handedOutIn.remove(h);
        if (by != null && by < generation && by >= doneBelow) deletedForPredecessor.put(h, by);
    }

    /** {@code h} took new content: only ever accepted once no predecessor could delete it any more. */
    void applyNewContent(BlobHash h) {
        deletedForPredecessor.remove(h);
    }

    /** The instance of generation {@code g} saw its window end: no instance before it deletes anything more. */
    void applyPredecessorsDone(int g) {
        if (g <= doneBelow) return;
        doneBelow = g;
        deletedForPredecessor.values().removeIf(by -> by < g);
    }

    Set<BlobHash> deletedForPredecessors() {
        return deletedForPredecessor.keySet();
    }

    LedgerSnapshot.PredecessorState snapshot() {
        return new LedgerSnapshot.PredecessorState(generation, doneBelow, entries(handedOutIn), entries(deletedForPredecessor));
    }

    void restore(LedgerSnapshot.PredecessorState s) {
        if (s == null) return;
        generation = s.generation();
        doneBelow = s.doneBelow();
        if (s.handedOut() != null) for (LedgerSnapshot.HashGeneration e : s.handedOut()) handedOutIn.put(e.hash(), e.generation());
        if (s.deletedForPredecessor() != null) {
            for (LedgerSnapshot.HashGeneration e : s.deletedForPredecessor()) deletedForPredecessor.put(e.hash(), e.generation());
        }
    }

    private static List<LedgerSnapshot.HashGeneration> entries(Map<BlobHash, Integer> m) {
        return m.entrySet().stream().map(e -> new LedgerSnapshot.HashGeneration(e.getKey(), e.getValue())).toList();
    }
}
