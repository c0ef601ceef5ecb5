package io.blobgc.ledger;

/**
 * The knobs of the GC rules, all durations in milliseconds.
 *
 * @param gracePeriodMs         how long a blob stays unreferenced before it can be marked
 * @param staleThresholdMs      a node with no report for this long is STALE
 * @param minNodesReporting     below this many live nodes nothing changes status (S7)
 * @param staleNodePolicy       retain or drop a stale node's view (S4)
 * @param tombstoneTtlMs        how long a COLLECTED tombstone stays answerable
 * @param historySize           how many cycle records the history keeps
 * @param maxTransitionsPerCycle the most status changes one cycle decides (one journal event holds them); the
 *                               other candidates wait for the next cycle
 */
public record LedgerSettings(long gracePeriodMs, long staleThresholdMs, int minNodesReporting,
                             StaleNodePolicy staleNodePolicy, long tombstoneTtlMs, int historySize,
                             int maxTransitionsPerCycle) {

    /** The original's defaults: grace 5 min, stale threshold 10 min, one node reporting. */
    public static final LedgerSettings DEFAULTS =
            new LedgerSettings(5 * 60_000L, 10 * 60_000L, 1, StaleNodePolicy.RETAIN, 24 * 3_600_000L, 100,
                    Integer.MAX_VALUE);

    /** The settings before {@link #maxTransitionsPerCycle} existed: no limit. */
    public LedgerSettings(long gracePeriodMs, long staleThresholdMs, int minNodesReporting,
                          StaleNodePolicy staleNodePolicy, long tombstoneTtlMs, int historySize) {
        this(gracePeriodMs, staleThresholdMs, minNodesReporting, staleNodePolicy, tombstoneTtlMs, historySize,
                Integer.MAX_VALUE);
    }

    public LedgerSettings {
        if (gracePeriodMs < 0) throw new IllegalArgumentException("grace-period must not be negative");
        if (staleThresholdMs <= 0) throw new IllegalArgumentException("stale-report-threshold must be positive");
        if (minNodesReporting < 1) throw new IllegalArgumentException("min-nodes-reporting must be at least 1");
        if (staleNodePolicy == null) throw new IllegalArgumentException("stale-node-policy is missing");
        if (tombstoneTtlMs < 0) throw new IllegalArgumentException("tombstone-ttl must not be negative");
        if (historySize < 1) throw new IllegalArgumentException("history-size must be at least 1");
        if (maxTransitionsPerCycle < 1) {
            throw new IllegalArgumentException("max-transitions-per-cycle must be at least 1");
        }
    }

    public LedgerSettings withGracePeriodMs(long ms) {
        return new LedgerSettings(ms, staleThresholdMs, minNodesReporting, staleNodePolicy, tombstoneTtlMs, historySize,
                maxTransitionsPerCycle);
    }

    public LedgerSettings withStaleThresholdMs(long ms) {
        return new LedgerSettings(gracePeriodMs, ms, minNodesReporting, staleNodePolicy, tombstoneTtlMs, historySize,
                maxTransitionsPerCycle);
    }

    public LedgerSettings withMinNodesReporting(int n) {
        return new LedgerSettings(gracePeriodMs, staleThresholdMs, n, staleNodePolicy, tombstoneTtlMs, historySize,
                maxTransitionsPerCycle);
    }

    public LedgerSettings withMaxTransitionsPerCycle(int n) {
        return new LedgerSettings(gracePeriodMs, staleThresholdMs, minNodesReporting, staleNodePolicy, tombstoneTtlMs,
                historySize, n);
    }

    public LedgerSettings withHistorySize(int n) {
        return new LedgerSettings(gracePeriodMs, staleThresholdMs, minNodesReporting, staleNodePolicy, tombstoneTtlMs, n,
                maxTransitionsPerCycle);
    }

    public LedgerSettings withStaleNodePolicy(StaleNodePolicy p) {
        return new LedgerSettings(gracePeriodMs, staleThresholdMs, minNodesReporting, p, tombstoneTtlMs, historySize,
                maxTransitionsPerCycle);
    }
}
