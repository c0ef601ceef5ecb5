package io.blobgc.ledger;

/** What the ledger did with a {@link NodeReport}. */
public enum ReportOutcome {
    /** Applied to the node's view. */
    APPLIED,
    /** One chunk of a FULL report stored; the view changes when the last chunk arrives. */
    CHUNK_BUFFERED,
    /** Older than, or the same as, what the view already has (S8): ignored. */
    DUPLICATE_OR_OLD,
    /** The view cannot take it (gap in seq, delta before any full, new reporter incarnation): send a FULL. */
    NEED_FULL,
    /** From a member that membership already removed: ignored. */
    FROM_REMOVED_NODE,
    /** Chunk numbers out of range: ignored. */
    MALFORMED;

    public boolean rejected() {
        return this == DUPLICATE_OR_OLD || this == FROM_REMOVED_NODE || this == MALFORMED;
    }
}
