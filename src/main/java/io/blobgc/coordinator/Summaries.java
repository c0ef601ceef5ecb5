package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.Summary;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.PartitionedLedger;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The {@link Coordinator}'s {@link Summary}: what the ledger counts, and what this coordinator adds to it. */
final class Summaries {
    private Summaries() {
    }

    /**
     * @param coordinatorNode the address of the member this coordinator runs on
     * @param dryRun          the configured {@code blob-gc.dry-run}
     * @param lastCycleMs     how long the last cycle's planning took (-1: none yet)
     * @param sweeper         its sweeper's pace and the store's health
     * @param localNow        this instance's monotonic millis
     */
    static Summary of(PartitionedLedger l, String coordinatorNode, boolean dryRun, double lastCycleMs,
                      Coordinator.SweeperStatus sweeper, long localNow) {
        Map<String, Long> counts = new LinkedHashMap<>();
        l.counts().forEach((k, v) -> counts.put(k.name(), v));
        Map<String, Long> outcomes = new LinkedHashMap<>();
        l.reportOutcomes().forEach((k, v) -> outcomes.put(k.name(), v));
        List<HistoryEntry> last = l.history(1);
        return new Summary(l.cycle(), coordinatorNode, l.warmingUp(), l.warmUpBlockers(), dryRun, counts,
                l.nodes(localNow), last.isEmpty() ? null : last.get(0), lastCycleMs, l.totalCollected(),
                l.totalCollectedBytes(), l.totalFailedDeletions(), outcomes, l.reportedWhileDeleting(),
                l.reportedUnknown(), l.orphansCondemned(), l.orphansDeleted(), sweeper);
    }
}
