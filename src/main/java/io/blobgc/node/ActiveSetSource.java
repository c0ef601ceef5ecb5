package io.blobgc.node;

import io.blobgc.BlobHash;

import java.util.Set;

/**
 * Pull mode: a VM that knows its active set (call frames + function table) implements this; the reporter samples
 * it every {@code heartbeat-interval}. Blobs a VM starts to use should still go through
 * {@code BlobGc.acquire}, which fences against a concurrent deletion (S6); sampling alone cannot.
 * Implementations are called from the reporter's actor: return quickly, and a consistent copy.
 */
public interface ActiveSetSource {

    Set<BlobHash> activeBlobs();

    /** Blobs this node pins (kept whether or not they are active). */
    default Set<BlobHash> pinnedBlobs() {
        return Set.of();
    }
}
