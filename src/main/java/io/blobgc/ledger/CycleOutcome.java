package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * What one GC cycle decided: computed by {@link Ledger#planCycle}, persisted (inside an event), then applied
 * by {@link Ledger#applyCycle} — on the live coordinator and again on every recovery.
 *
 * @param unreferenced  blobs that lost their last reference or pin: their grace starts at {@code at}
 * @param activated     blobs that are (again) referenced, or only held by a dependant: ACTIVE
 * @param pinned        blobs held by an operator or node pin: PINNED
 * @param rescued       the subset of activated/pinned that was UNREFERENCED or MARKED (collection cancelled)
 * @param marked        blobs marked for collection; in a dry run, what would have been marked (nothing applied)
 * @param confirmedBy   the live nodes whose complete views confirmed the marked blobs absent (S3)
 * @param graceResetAt  every grace clock counts from no earlier than this (quorum regained, S7)
 */
public record CycleOutcome(long cycle, long at, boolean dryRun, boolean frozen, boolean warmingUp,
                           List<BlobHash> unreferenced, List<BlobHash> activated, List<BlobHash> pinned,
                           List<BlobHash> rescued, List<MarkedBlob> marked, List<PinRef> expiredPins,
                           List<BlobHash> prunedTombstones, List<String> confirmedBy, List<String> staleNodes,
                           long graceResetAt) implements CborSerializable {

    /** A blob marked (or, in a dry run, that would be marked), with the start of its unreferenced time. */
    public record MarkedBlob(BlobHash hash, long unreferencedSince) implements CborSerializable {
    }

    /** One operator pin, by blob and owner. */
    public record PinRef(BlobHash hash, String owner) implements CborSerializable {
    }

    public boolean changedNothing() {
        return unreferenced.isEmpty() && activated.isEmpty() && pinned.isEmpty() && marked.isEmpty()
                && expiredPins.isEmpty() && prunedTombstones.isEmpty();
    }
}
