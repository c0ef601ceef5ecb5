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

    /**
     * Several partitions' lists of the nodes as one: each node as the first list that knows it sees it (state, report
     * age: every partition takes each node's reports at the same moment), what it holds and pins added over the lists,
     * complete and rebuilt only if so in every list that knows it; the nodes {@code leftOut} names are left out.
     */
    public static java.util.List<NodeInfo> merged(java.util.Collection<java.util.List<NodeInfo>> lists,
                                                  java.util.function.Predicate<String> leftOut) {
        java.util.Map<String, NodeInfo> byNode = new java.util.LinkedHashMap<>();
        for (java.util.List<NodeInfo> list : lists) {
            for (NodeInfo n : list) {
                if (leftOut.test(n.node())) continue;
                byNode.merge(n.node(), n, (a, b) -> new NodeInfo(a.node(), a.state(), a.lastReportAgeMs(),
                        a.active() + b.active(), a.pinned() + b.pinned(), a.complete() && b.complete(),
                        a.fullSinceRecovery() && b.fullSinceRecovery()));
            }
        }
        return java.util.List.copyOf(byNode.values());
    }
}
