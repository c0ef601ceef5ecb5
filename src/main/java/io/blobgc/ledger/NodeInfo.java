package io.blobgc.ledger;

import io.blobgc.CborSerializable;

/**
 * The coordinator's view of one node.
 *
 * @param complete          the view holds a FULL report and every delta after it (it can confirm absence, S3)
 * @param fullSinceRecovery the node delivered a FULL report to this coordinator (the warm-up barrier, S5)
 */
public record NodeInfo(String node, State state, long lastReportAgeMs, int active, int pinned,
                       boolean complete, boolean fullSinceRecovery) implements CborSerializable {
    public enum State { LIVE, STALE }
}
