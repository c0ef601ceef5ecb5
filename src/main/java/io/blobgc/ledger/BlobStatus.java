package io.blobgc.ledger;

/** The lifecycle of a known blob (DESIGN.md section 3). */
public enum BlobStatus {
    /** Some node references it, or it was just registered and its first cycle has not looked at it yet. */
    ACTIVE,
    /** An operator pin or a node pin holds it. */
    PINNED,
    /** Nobody references or pins it; its grace period runs from {@code since}. */
    UNREFERENCED,
    /** Grace elapsed and every counted node confirmed it absent; waiting for the sweeper. */
    MARKED_FOR_COLLECTION,
    /** Fenced: handed to the sweeper, no acquire succeeds any more. */
    DELETING,
    /** Deleted from the store; a tombstone kept for queries until {@code tombstone-ttl}. */
    COLLECTED
}
