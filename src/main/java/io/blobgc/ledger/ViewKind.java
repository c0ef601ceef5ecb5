package io.blobgc.ledger;

/**
 * Whose view a {@link NodeViews} view is, and the rules in which the two kinds differ (partitions.md §1, "In B
 * (callee's partition): changes to NodeViews"). Everything else — S8 ordering, chunked FULLs, sticky acquires,
 * staleness, confirmation ticks, provisional reports — is the same for both.
 */
enum ViewKind {
    /** A VM node's reporter: what every view was before partitions. */
    NODE,
    /**
     * Another partition's exports to this one (reporter id such as {@code partition:3}), registered by
     * {@link Ledger#partitionUp}. It holds the hashes the other partition protects through remote edges.
     */
    PARTITION;

    /**
     * Whether membership decides this view's fate: a node's view is dropped when membership removes the member
     * (S4), by the "stale non-member" sweep, and counts only while membership lists it. A partition is no cluster
     * member: its view is always counted and never removed ({@code memberRemoved}, {@code FROM_REMOVED_NODE} and the
     * sweep never apply to it), so a down partition's exports keep protecting (partitions.md §6, risk 5).
     */
    boolean followsMembership() {
        return this == NODE;
    }

    /** Whether policy {@code drop} may clear this view once it is stale: never a partition's (risk 5). */
    boolean droppableWhenStale() {
        return this == NODE;
    }

    /** Whether a live view of this kind counts toward {@code min-nodes-reporting} (S7 is about VM nodes). */
    boolean countsForQuorum() {
        return this == NODE;
    }

    /**
     * Whether reports of this kind may carry node pins: a partition exports references only (its callers' pins are
     * its own business), so a partition report with pins is malformed.
     */
    boolean mayPin() {
        return this == NODE;
    }
}
