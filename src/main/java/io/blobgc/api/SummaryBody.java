package io.blobgc.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.blobgc.NodeIds;
import io.blobgc.coordinator.Coordinator;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/summary}: the coordinator's view (the dashboard's and {@code blob-gc status}'s).
 * {@code sweepRate} is the delete rate the sweeper allows itself now (deletions per second), {@code sweepRateLimit}
 * the configured limit; {@code storeThrottling}: the store pushed back and the rate is still below the limit;
 * {@code storeThrottledRequests}: store requests pushed back since the coordinator started; {@code storeFailing}: the
 * sweeper's last store request failed (nothing deleted, not throttled), {@code lastStoreError} the last deletion's
 * error. The sweeper fields are 0, false and null in a summary from a member that predates them. {@code partitions}
 * (absent when the coordinator hosts every partition) lists the partition entities at {@code partition-hosting =
 * sharded}.
 */
public record SummaryBody(long cycle, String coordinatorNode, boolean warmingUp, List<String> warmUpBlockers,
                          boolean dryRun, Map<String, Long> counts, List<NodeRow> nodes, CycleEntry lastCycle,
                          double lastCycleMs, long collected, long collectedBytes, long failedDeletions,
                          long orphansFound, long orphansDeleted, double sweepRate, double sweepRateLimit,
                          boolean storeThrottling, long storeThrottledRequests, boolean storeFailing,
                          String lastStoreError,
                          @JsonInclude(JsonInclude.Include.NON_EMPTY) List<PartitionRow> partitions) {

    public SummaryBody {
        partitions = partitions == null ? List.of() : partitions;
    }

    public static SummaryBody from(Coordinator.Summary s) {
        Coordinator.SweeperStatus w = s.sweeper() != null ? s.sweeper()
                : new Coordinator.SweeperStatus(0, 0, 0, false, null);
        return new SummaryBody(s.cycle(), s.coordinatorNode(), s.warmingUp(),
                s.warmUpBlockers().stream().map(NodeIds::address).toList(), s.dryRun(), s.counts(),
                s.nodes().stream().map(NodeRow::from).toList(), CycleEntry.from(s.lastCycle()), s.lastCycleMs(),
                s.totalCollected(), s.totalCollectedBytes(), s.totalFailedDeletions(), s.orphansCondemned(),
                s.orphansDeleted(), w.rate(), w.rateLimit(), w.storeThrottling(), w.throttledRequests(),
                w.storeFailing(), w.lastStoreError(), s.partitions().stream().map(PartitionRow::from).toList());
    }
}
