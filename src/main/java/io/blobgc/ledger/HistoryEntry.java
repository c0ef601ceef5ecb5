package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * One cycle as the history remembers it: per blob, why it was marked (unreferenced since when, confirmed
 * absent by which nodes), and which blobs the cycle rescued.
 */
public record HistoryEntry(long cycle, long at, boolean dryRun, boolean frozen, boolean warmingUp,
                           int newlyUnreferenced, List<BlobHash> rescued, List<CycleOutcome.MarkedBlob> marked,
                           List<String> confirmedBy, List<String> staleNodes, int prunedTombstones)
        implements CborSerializable {

    static HistoryEntry of(CycleOutcome o) {
        return new HistoryEntry(o.cycle(), o.at(), o.dryRun(), o.frozen(), o.warmingUp(), o.unreferenced().size(),
                o.rescued(), o.marked(), o.marked().isEmpty() ? List.of() : o.confirmedBy(), o.staleNodes(),
                o.prunedTombstones().size());
    }
}
