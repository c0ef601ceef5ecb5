package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * One cycle as the history remembers it: per blob, why it was marked (unreferenced since when, confirmed
 * absent by which nodes), and which blobs the cycle rescued (the first {@link #RESCUED_KEPT} of them; the full
 * lists are in the cycle's persisted event).
 */
public record HistoryEntry(long cycle, long at, boolean dryRun, boolean frozen, boolean warmingUp,
                           int newlyUnreferenced, int rescuedCount, List<BlobHash> rescued,
                           List<CycleOutcome.MarkedBlob> marked, List<String> confirmedBy, List<String> staleNodes,
                           int prunedTombstones) implements CborSerializable {

    public static final int RESCUED_KEPT = 100;

    static HistoryEntry of(CycleOutcome o) {
        List<BlobHash> rescued = o.rescued().size() <= RESCUED_KEPT ? o.rescued()
                : List.copyOf(o.rescued().subList(0, RESCUED_KEPT));
        return new HistoryEntry(o.cycle(), o.at(), o.dryRun(), o.frozen(), o.warmingUp(), o.unreferenced().size(),
                o.rescued().size(), rescued, o.marked(), o.marked().isEmpty() ? List.of() : o.confirmedBy(),
                o.staleNodes(), o.prunedTombstones().size());
    }
}
