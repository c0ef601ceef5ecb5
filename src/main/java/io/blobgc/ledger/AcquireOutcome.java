package io.blobgc.ledger;

/** Outcome of {@link Ledger#acquire}. */
public enum AcquireOutcome {
    /** The reference is recorded; the blob will not be deleted while the node holds it. */
    ACQUIRED,
    /** The blob, or a blob in its dependency closure, is DELETING or COLLECTED: upload again, then acquire. */
    GONE,
    /** The blob is not known: register it (persisted) first. */
    UNKNOWN,
    /** The node was removed by membership. */
    FROM_REMOVED_NODE,
    /** Asked before a report the view already took, which does not list the blob: the reporter gave up on it. */
    STALE
}
