package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * One cycle as the history remembers it: per blob, why it was marked (unreferenced since when, confirmed
 * absent by which nodes), and which blobs the cycle rescued — the first {@link #RESCUED_KEPT} rescued and the first
 * {@link #MARKED_KEPT} marked, with their counts (a cycle that marks a million blobs must not keep them all in
 * memory and in every snapshot for {@code history-size} cycles; the full lists are in the cycle's persisted event).
 *
 * @param markedCount how many the cycle marked (0 in entries written before it existed: then {@code marked}'s size)
 */
public record HistoryEntry(long cycle, long at, boolean dryRun, boolean frozen, boolean warmingUp,
                           int newlyUnreferenced, int rescuedCount, List<BlobHash> rescued,
                           List<CycleOutcome.MarkedBlob> marked, List<String> confirmedBy, List<String> staleNodes,
                           int prunedTombstones, int markedCount) implements CborSerializable {

    public static final int RESCUED_KEPT = 100;
    public static final int MARKED_KEPT = 1_000;

    public HistoryEntry {
        markedCount = Math.max(markedCount, marked == null ? 0 : marked.size());
    }

    /**
     * This partition's entry of a cycle and another partition's entry of the same cycle, as one: counts added, lists
     * joined (each kept to its limit), flags of either.
     */
    HistoryEntry plus(HistoryEntry o) {
        return new HistoryEntry(cycle, Math.max(at, o.at), dryRun || o.dryRun, frozen || o.frozen,
                warmingUp || o.warmingUp, newlyUnreferenced + o.newlyUnreferenced, rescuedCount + o.rescuedCount,
                joined(rescued, o.rescued, RESCUED_KEPT), joined(marked, o.marked, MARKED_KEPT),
                joined(confirmedBy, o.confirmedBy, Integer.MAX_VALUE).stream().distinct().toList(),
                joined(staleNodes, o.staleNodes, Integer.MAX_VALUE).stream().distinct().toList(),
                prunedTombstones + o.prunedTombstones, markedCount + o.markedCount);
    }

    private static <T> List<T> joined(List<T> a, List<T> b, int max) {
        List<T> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return out.size() <= max ? List.copyOf(out) : List.copyOf(out.subList(0, max));
    }

    public static HistoryEntry of(CycleOutcome o) {
        List<BlobHash> rescued = o.rescued().size() <= RESCUED_KEPT ? o.rescued()
                : List.copyOf(o.rescued().subList(0, RESCUED_KEPT));
        List<CycleOutcome.MarkedBlob> marked = o.marked().size() <= MARKED_KEPT ? o.marked()
                : List.copyOf(o.marked().subList(0, MARKED_KEPT));
        return new HistoryEntry(o.cycle(), o.at(), o.dryRun(), o.frozen(), o.warmingUp(), o.unreferenced().size(),
                o.rescued().size(), rescued, marked, o.marked().isEmpty() ? List.of() : o.confirmedBy(),
                o.staleNodes(), o.prunedTombstones().size(), o.marked().size());
    }
}
