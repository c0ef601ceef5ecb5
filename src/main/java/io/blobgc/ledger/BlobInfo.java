package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * Everything the ledger knows about one blob: the answer to "why is this blob still here?".
 *
 * @param unreferencedSince epoch millis, for UNREFERENCED and MARKED_FOR_COLLECTION; otherwise null
 * @param markedCycle       the cycle that marked it, once marked; otherwise null
 * @param collectedAt       epoch millis, for COLLECTED; otherwise null
 * @param deletionStartedAt epoch millis the blob was fenced (DELETING), for DELETING and COLLECTED; otherwise null
 * @param referencedBy      nodes whose views reference it
 * @param nodePinnedBy      nodes that pin it
 * @param dependents        known blobs that depend on it (and keep it alive while they are held)
 */
public record BlobInfo(BlobHash hash, BlobStatus status, Long unreferencedSince, Long markedCycle, Long collectedAt,
                       Long deletionStartedAt,
                       List<String> referencedBy, List<Pin> pins, List<String> nodePinnedBy,
                       List<BlobHash> dependencies, List<BlobHash> dependents, int failedDeletions)
        implements CborSerializable {
}
