package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dependency edges from this partition's blobs to blobs another partition owns (partitions.md §1, "State in A"):
 * a caller's id here, its callee by hash only — a remote callee is never a row of this partition's {@link BlobTable}.
 * With the reverse index, remote callee hash to local caller ids, so an export can be recomputed from its callers'
 * protection. Persistent: registrations add the edges ({@link Registry#applyRegistered}), pruning the caller's
 * tombstone removes them, and a snapshot holds them. At P = 1 it stays empty.
 */
final class RemoteEdges {

    private final Map<Integer, Set<BlobHash>> callees = new HashMap<>();
    private final Map<BlobHash, Set<Integer>> callers = new HashMap<>();

    /** Whether there is no remote edge at all (always so at P = 1). */
    boolean isEmpty() {
        return callees.isEmpty();
    }

    /** Adds the edge {@code caller -> callee}; false when it was there. */
    boolean add(int caller, BlobHash callee) {
        if (!callees.computeIfAbsent(caller, k -> new LinkedHashSet<>()).add(callee)) return false;
        callers.computeIfAbsent(callee, k -> new LinkedHashSet<>()).add(caller);
        return true;
    }

    /** {@code caller}'s remote callees (empty: none). */
    Collection<BlobHash> callees(int caller) {
        Set<BlobHash> s = callees.get(caller);
        return s == null ? List.of() : s;
    }

    /** The local callers of the remote {@code callee} (empty: none). */
    Collection<Integer> callers(BlobHash callee) {
        Set<Integer> s = callers.get(callee);
        return s == null ? List.of() : s;
    }

    /** Every remote callee, once. */
    Collection<BlobHash> allCallees() {
        return callers.keySet();
    }

    /** The callers that have remote callees. */
    Collection<Integer> allCallers() {
        return callees.keySet();
    }

    /** Removes every remote edge of {@code caller} (it is forgotten); its former callees. */
    List<BlobHash> removeAll(int caller) {
        Set<BlobHash> s = callees.remove(caller);
        if (s == null) return List.of();
        for (BlobHash c : s) {
            Set<Integer> cs = callers.get(c);
            cs.remove(caller);
            if (cs.isEmpty()) callers.remove(c);
        }
        return new ArrayList<>(s);
    }
}
