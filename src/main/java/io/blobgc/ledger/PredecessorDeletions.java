package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What earlier coordinator instances may still be deleting, across any number of takeovers (S10). Every takeover
 * write starts a new <em>generation</em> (its writer: an instance and its batch deadline); a hash handed to a sweeper
 * remembers the latest generation that handed it out (and the one before, if another); a deletion confirmed by a
 * generation other than the latest one that handed it out — or the one before, if the latest is the confirming one —
 * was finished <em>for a predecessor</em>, whose sweeper may still hold the hash in a batch until its deadline. Such
 * hashes are remembered — in events and snapshots, so that a third instance that takes over from the second still
 * refuses their new content for its own window — until an instance writes that its window is over
 * ({@link #applyPredecessorsDone}: every instance before it can delete nothing more), or the hash takes new content.
 * Generations are counted in each recovery and never written: events name instances, so a replay and a recovery from
 * an older snapshot agree. Part of the ledger's persistent state.
 */
final class PredecessorDeletions {

    /** Takeovers counted so far: the generation of the instance writing now. */
    private int generation;
    /** Instances of a generation below this one can delete nothing more (one of a later generation said so). */
    private int doneBelow;
    /** The writers not known to be done (generation at least {@code doneBelow}), by generation. */
    private final TreeMap<Integer, LedgerSnapshot.Writer> writers = new TreeMap<>();
    /** DELETING blobs and condemned orphans handed to a sweeper: {latest generation, the one before or -1}. */
    private final Map<BlobHash, int[]> handedOut = new LinkedHashMap<>();
    /** Deleted for a predecessor: the generation that may still delete them. */
    private final Map<BlobHash, Integer> deletedForPredecessor = new LinkedHashMap<>();

    /** {@code instance} wrote its takeover; its sweeper stops each batch {@code batchDeadlineMs} after its write. */
    void applyTookOver(String instance, long batchDeadlineMs) {
        generation++;
        writers.put(generation, new LedgerSnapshot.Writer(generation, instance, batchDeadlineMs));
    }

    int generation() {
        return generation;
    }

    /** The longest batch deadline of the writers not known to be done (0: none known). */
    long longestLiveDeadlineMs() {
        long longest = 0;
        for (LedgerSnapshot.Writer w : writers.values()) longest = Math.max(longest, w.batchDeadlineMs());
        return longest;
    }

    /** A sweeper was handed {@code h} (a DELETING blob or a condemned orphan) in this generation. */
    void applyHandedOut(BlobHash h) {
        int[] by = handedOut.get(h);
        if (by == null) {
            handedOut.put(h, new int[]{generation, -1});
        } else if (by[0] != generation) {
            by[1] = by[0];
            by[0] = generation;
        }
    }

    /** {@code h}'s deletion was confirmed in this generation. */
    void applyDeleted(BlobHash h) {
        int[] by = handedOut.remove(h);
        if (by == null) return;
        int predecessor = by[0] < generation ? by[0] : by[1]; // the latest other generation that handed it out
        if (predecessor >= 0 && predecessor >= doneBelow) deletedForPredecessor.merge(h, predecessor, Math::max);
    }

    /** {@code h} was deleted, by whom is not known (a snapshot from before generations): as if for generation 0. */
    void rememberDeletedBefore(BlobHash h) {
        deletedForPredecessor.putIfAbsent(h, 0);
    }

    /** {@code h} took new content: only ever accepted once no predecessor could delete it any more. */
    void applyNewContent(BlobHash h) {
        deletedForPredecessor.remove(h);
    }

    /** {@code instance} saw its window end: no instance before it deletes anything more. */
    void applyPredecessorsDone(String instance) {
        Integer g = null;
        for (LedgerSnapshot.Writer w : writers.values()) if (w.instance().equals(instance)) g = w.generation();
        if (g == null || g <= doneBelow) return; // unknown here, or older than a window end already written
        int done = g;
        doneBelow = done;
        writers.headMap(done).clear();
        deletedForPredecessor.values().removeIf(by -> by < done);
    }

    Set<BlobHash> deletedForPredecessors() {
        return deletedForPredecessor.keySet();
    }

    LedgerSnapshot.PredecessorState snapshot() {
        return new LedgerSnapshot.PredecessorState(generation, doneBelow, List.copyOf(writers.values()),
                handedOut.entrySet().stream().map(e -> new LedgerSnapshot.HandedOut(e.getKey(), e.getValue()[0],
                        e.getValue()[1])).toList(),
                deletedForPredecessor.entrySet().stream().map(e -> new LedgerSnapshot.HandedOut(e.getKey(),
                        e.getValue(), -1)).toList());
    }

    void restore(LedgerSnapshot.PredecessorState s) {
        if (s == null) return;
        generation = s.generation();
        doneBelow = s.doneBelow();
        if (s.writers() != null) for (LedgerSnapshot.Writer w : s.writers()) writers.put(w.generation(), w);
        if (s.handedOut() != null) {
            for (LedgerSnapshot.HandedOut e : s.handedOut()) {
                // a snapshot without writers kept the FIRST generation that handed a hash out: the one writing then
                // may have handed it out again since
                handedOut.put(e.hash(), s.writers() != null ? new int[]{e.generation(), e.before()}
                        : new int[]{generation, e.generation()});
            }
        }
        if (s.deletedForPredecessor() != null) {
            for (LedgerSnapshot.HandedOut e : s.deletedForPredecessor()) deletedForPredecessor.put(e.hash(), e.generation());
        }
    }
}
