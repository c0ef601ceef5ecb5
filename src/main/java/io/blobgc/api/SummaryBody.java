package io.blobgc.api;

import io.blobgc.NodeIds;
import io.blobgc.coordinator.Coordinator;

import java.util.List;
import java.util.Map;

/** {@code GET /v1/summary}: the coordinator's view (the dashboard's and {@code blob-gc status}'s). */
public record SummaryBody(long cycle, String coordinatorNode, boolean warmingUp, List<String> warmUpBlockers,
                          boolean dryRun, Map<String, Long> counts, List<NodeRow> nodes, CycleEntry lastCycle,
                          double lastCycleMs, long collected, long collectedBytes, long failedDeletions,
                          long orphansFound, long orphansDeleted) {

    public static SummaryBody from(Coordinator.Summary s) {
        return new SummaryBody(s.cycle(), s.coordinatorNode(), s.warmingUp(),
                s.warmUpBlockers().stream().map(NodeIds::address).toList(), s.dryRun(), s.counts(),
                s.nodes().stream().map(NodeRow::from).toList(), CycleEntry.from(s.lastCycle()), s.lastCycleMs(),
                s.totalCollected(), s.totalCollectedBytes(), s.totalFailedDeletions(), s.orphansCondemned(),
                s.orphansDeleted());
    }
}
