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
 */
public record LedgerSettings(long gracePeriodMs, long staleThresholdMs, int minNodesReporting,
                             StaleNodePolicy staleNodePolicy, long tombstoneTtlMs, int historySize) {

    /** The original's defaults: grace 5 min, stale threshold 10 min, one node reporting. */
    public static final LedgerSettings DEFAULTS =
            new LedgerSettings(5 * 60_000L, 10 * 60_000L, 1, StaleNodePolicy.RETAIN, 24 * 3_600_000L, 100);

    public LedgerSettings {
        if (gracePeriodMs < 0) throw new IllegalArgumentException("grace-period must not be negative");
        if (staleThresholdMs <= 0) throw new IllegalArgumentException("stale-report-threshold must be positive");
        if (minNodesReporting < 1) throw new IllegalArgumentException("min-nodes-reporting must be at least 1");
        if (staleNodePolicy == null) throw new IllegalArgumentException("stale-node-policy is missing");
        if (tombstoneTtlMs < 0) throw new IllegalArgumentException("tombstone-ttl must not be negative");
        if (historySize < 1) throw new IllegalArgumentException("history-size must be at least 1");
    }

    public LedgerSettings withGracePeriodMs(long ms) {
        return new LedgerSettings(ms, staleThresholdMs, minNodesReporting, staleNodePolicy, tombstoneTtlMs, historySize);
    }

    public LedgerSettings withStaleThresholdMs(long ms) {
        return new LedgerSettings(gracePeriodMs, ms, minNodesReporting, staleNodePolicy, tombstoneTtlMs, historySize);
    }

    public LedgerSettings withMinNodesReporting(int n) {
        return new LedgerSettings(gracePeriodMs, staleThresholdMs, n, staleNodePolicy, tombstoneTtlMs, historySize);
    }

    public LedgerSettings withStaleNodePolicy(StaleNodePolicy p) {
        return new LedgerSettings(gracePeriodMs, staleThresholdMs, minNodesReporting, p, tombstoneTtlMs, historySize);
    }
}
