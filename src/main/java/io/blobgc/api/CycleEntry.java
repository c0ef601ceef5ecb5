package io.blobgc.api;

import io.blobgc.ledger.HistoryEntry;

import java.util.List;

/** A past cycle: an entry of {@code GET /v1/cycles} and the summary's {@code lastCycle}. */
public record CycleEntry(long cycle, long at, boolean dryRun, boolean frozen, boolean warmingUp,
                         int newlyUnreferenced, int rescuedCount, List<String> rescued, List<MarkedBlob> marked,
                         List<String> confirmedBy, List<String> staleNodes, int prunedTombstones, int markedCount) {

    /** null for null (no cycle yet). */
    public static CycleEntry from(HistoryEntry h) {
        if (h == null) return null;
        return new CycleEntry(h.cycle(), h.at(), h.dryRun(), h.frozen(), h.warmingUp(), h.newlyUnreferenced(),
                h.rescuedCount(), Hashes.hex(h.rescued()), MarkedBlob.all(h.marked()), h.confirmedBy(),
                h.staleNodes(), h.prunedTombstones(), h.markedCount());
    }
}
