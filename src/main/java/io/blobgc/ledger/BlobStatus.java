package io.blobgc.ledger;

/**
 * The lifecycle of a known blob (design.md §2). Snapshots store each status as its {@link #code()}, fixed
 * here once and for all (never the ordinal): reordering or adding statuses must not change what old snapshots mean.
 */
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
    COLLECTED;

    /** The byte a snapshot stores for this status (the ordinals of the first version, kept as they were). */
    public byte code() {
        return switch (this) {
            case ACTIVE -> 0;
            case PINNED -> 1;
            case UNREFERENCED -> 2;
            case MARKED_FOR_COLLECTION -> 3;
            case DELETING -> 4;
            case COLLECTED -> 5;
        };
    }

    public static BlobStatus ofCode(byte code) {
        for (BlobStatus s : values()) if (s.code() == code) return s;
        throw new IllegalArgumentException("unknown blob status code " + code + " in a snapshot");
    }
}
