package io.blobgc.api;

import io.blobgc.NodeIds;
import io.blobgc.ledger.BlobInfo;

import java.util.List;

/** {@code GET /v1/blobs/{hash}}: why a blob is still here. */
public record BlobDetail(String hash, String status, Long unreferencedSince, List<String> referencedBy,
                         List<BlobPin> pins, List<String> nodePinnedBy, List<String> dependencies,
                         List<String> dependents, Long markedCycle, Long deletionStartedAt, Long collectedAt) {

    /** An operator pin on the blob. */
    public record BlobPin(String owner, String reason, Long expiresAt) {
    }

    public static BlobDetail from(BlobInfo i) {
        return new BlobDetail(i.hash().toHex(), i.status().name(), i.unreferencedSince(),
                i.referencedBy().stream().map(NodeIds::address).toList(),
                i.pins().stream().map(p -> new BlobPin(p.owner(), p.reason(), p.expiresAt())).toList(),
                i.nodePinnedBy().stream().map(NodeIds::address).toList(), Hashes.hex(i.dependencies()),
                Hashes.hex(i.dependents()), i.markedCycle(), i.deletionStartedAt(), i.collectedAt());
    }
}
