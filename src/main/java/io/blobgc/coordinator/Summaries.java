package io.blobgc.coordinator;

import io.blobgc.coordinator.Coordinator.Summary;
import io.blobgc.ledger.HistoryEntry;
import io.blobgc.ledger.NodeInfo;
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

    /**
     * The conductor's summary (partition-hosting = sharded): the partitions' summaries merged — counts, totals and
     * nodes added up ({@link NodeInfo#merged}), every blocker once, warming up while any partition is or does not
     * answer ({@code missing}, each named a blocker), the sweepers' rates added and the store failing if it fails any
     * of them — with the conductor's cycle, member and last cycle, and each partition listed. Every partition takes a share of every report, so
     * the reports' outcomes are counted once, as the partition that counted most of each saw them.
     */
    static Summary merged(Map<Integer, Summary> answers, java.util.Set<Integer> missing, long cycle,
                          String conductorNode, boolean dryRun, HistoryEntry lastCycle) {
        Map<String, Long> counts = new LinkedHashMap<>(), outcomes = new LinkedHashMap<>();
        java.util.Set<String> blockers = new java.util.LinkedHashSet<>();
        List<List<NodeInfo>> nodes = new java.util.ArrayList<>();
        boolean warming = !missing.isEmpty();
        double lastCycleMs = -1, rate = 0, rateLimit = 0;
        long collected = 0, bytes = 0, failed = 0, whileDeleting = 0, unknown = 0, condemned = 0, deleted = 0;
        long throttled = 0;
        boolean storeFailing = false;
        String lastError = null;
        for (Summary s : answers.values()) {
            s.counts().forEach((k, v) -> counts.merge(k, v, Long::sum));
            s.reportOutcomes().forEach((k, v) -> outcomes.merge(k, v, Math::max));
            blockers.addAll(s.warmUpBlockers());
            nodes.add(s.nodes());
            warming |= s.warmingUp();
            lastCycleMs = Math.max(lastCycleMs, s.lastCycleMs());
            collected += s.totalCollected();
            bytes += s.totalCollectedBytes();
            failed += s.totalFailedDeletions();
            whileDeleting += s.reportedWhileDeleting();
            unknown += s.reportedUnknown();
            condemned += s.orphansCondemned();
            deleted += s.orphansDeleted();
            if (s.sweeper() != null) {
                rate += s.sweeper().rate();
                rateLimit += s.sweeper().rateLimit();
                throttled += s.sweeper().throttledRequests();
                storeFailing |= s.sweeper().storeFailing();
                if (lastError == null) lastError = s.sweeper().lastStoreError();
            }
        }
        for (int p : missing) blockers.add("partition " + p + " (no answer)");
        java.util.TreeMap<Integer, Coordinator.PartitionStatus> partitions = new java.util.TreeMap<>();
        answers.forEach((p, s) -> partitions.put(p, new Coordinator.PartitionStatus(p, s.coordinatorNode(), true,
                s.warmingUp(), s.cycle(), s.counts().values().stream().mapToLong(Long::longValue).sum())));
        for (int p : missing) partitions.put(p, new Coordinator.PartitionStatus(p, null, false, false, 0, 0));
        return new Summary(cycle, conductorNode, warming, List.copyOf(blockers), dryRun, counts,
                NodeInfo.merged(nodes, n -> false), lastCycle, lastCycleMs, collected, bytes, failed, outcomes,
                whileDeleting, unknown, condemned, deleted,
                new Coordinator.SweeperStatus(rate, rateLimit, throttled, storeFailing, lastError),
                List.copyOf(partitions.values()));
    }
}
