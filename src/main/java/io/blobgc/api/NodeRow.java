package io.blobgc.api;

import io.blobgc.NodeIds;
import io.blobgc.ledger.NodeInfo;

/** A node in {@code GET /v1/summary}. */
public record NodeRow(String node, String state, long lastReportAgeMs, int active, int pinned, boolean complete) {

    public static NodeRow from(NodeInfo n) {
        return new NodeRow(NodeIds.address(n.node()), n.state().name(), n.lastReportAgeMs(), n.active(), n.pinned(),
                n.complete());
    }
}
