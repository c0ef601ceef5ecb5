package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/** The persistent part of the ledger (node views are soft state and never part of it, S5). */
public record LedgerSnapshot(long cycle, long graceResetAt, boolean frozen, long totalCollected,
                             long totalCollectedBytes, long totalFailedDeletions, List<BlobRecord> blobs, List<HistoryEntry> history)
        implements CborSerializable {

    public record BlobRecord(BlobHash hash, BlobStatus status, long since, long markedCycle, long collectedAt,
                             long deletionStartedAt, List<BlobHash> dependencies, List<Pin> pins, int failedDeletions)
            implements CborSerializable {
    }
}
