package io.blobgc.ledger;

/** What happens to the last view of a node whose reports stopped (design.md, S4). */
public enum StaleNodePolicy {
    /** The stale node's last view keeps protecting its blobs until membership removes the node. */
    RETAIN,
    /** The stale node's view is dropped, as the original did. */
    DROP
}
