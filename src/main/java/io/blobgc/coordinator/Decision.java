package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * What the collector decided, for the host application ({@code BlobGc.subscribe}): published cluster-wide by the
 * coordinator once the decision is persisted. Delivery is at most once (a subscriber that is away misses it; the
 * history and the blob's status are the record).
 */
public sealed interface Decision extends CborSerializable {

    /** A cycle marked these blobs for collection (they are deleted after the next confirmation). */
    record Marked(long cycle, List<BlobHash> hashes) implements Decision {
    }

    /** These blobs were deleted from the store, freeing {@code bytes}. */
    record Collected(List<BlobHash> hashes, long bytes) implements Decision {
    }
}
