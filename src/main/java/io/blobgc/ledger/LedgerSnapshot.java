package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.CborSerializable;

import java.util.List;

/**
 * The persistent part of the ledger (node views are soft state and never part of it, S5), in a compact form:
 * every blob as {@link #BLOB_BYTES} bytes in one byte array (hash, status, time, decision cycle), and the few
 * blobs with more to say (dependencies, operator pins, failed deletions, deletion start) as {@link Extra}s.
 * A transport value for snapshots: it has no equality of its own (the array compares by identity).
 * {@code partitions}: the number of partitions the journal was written with (0: none recorded, also in a snapshot
 * written before it was, which is a journal of one partition). {@code remoteEdges}: the blobs with callees another
 * partition owns ({@link RemoteCallees}; empty at P = 1, and in a snapshot written before they existed).
 * {@code hosting} and {@code partition}: how the journal's partitions were hosted and which one it is, as its
 * takeovers recorded them (null: none did, also in a snapshot written before they were; coordinator hosting, and not
 * a partition entity's journal).
 */
public record LedgerSnapshot(long cycle, long graceResetAt, boolean frozen, long totalCollected,
                             long totalCollectedBytes, long totalFailedDeletions, int blobCount, byte[] blobs,
                             List<Extra> extras, List<HistoryEntry> history, OrphanState orphans,
                             PredecessorState predecessors, int partitions, List<RemoteCallees> remoteEdges,
                             String hosting, Integer partition)
        implements CborSerializable {

    public LedgerSnapshot {
        remoteEdges = remoteEdges == null ? List.of() : remoteEdges; // absent in an older snapshot: none
    }

    /** A snapshot of a journal that recorded no hosting nor partition (the coordinator's). */
    public LedgerSnapshot(long cycle, long graceResetAt, boolean frozen, long totalCollected, long totalCollectedBytes,
                          long totalFailedDeletions, int blobCount, byte[] blobs, List<Extra> extras,
                          List<HistoryEntry> history, OrphanState orphans, PredecessorState predecessors,
                          int partitions, List<RemoteCallees> remoteEdges) {
        this(cycle, graceResetAt, frozen, totalCollected, totalCollectedBytes, totalFailedDeletions, blobCount, blobs,
                extras, history, orphans, predecessors, partitions, remoteEdges, null, null);
    }

    /** A snapshot of a partition with no remote edge (every snapshot at P = 1). */
    public LedgerSnapshot(long cycle, long graceResetAt, boolean frozen, long totalCollected, long totalCollectedBytes,
                          long totalFailedDeletions, int blobCount, byte[] blobs, List<Extra> extras,
                          List<HistoryEntry> history, OrphanState orphans, PredecessorState predecessors,
                          int partitions) {
        this(cycle, graceResetAt, frozen, totalCollected, totalCollectedBytes, totalFailedDeletions, blobCount, blobs,
                extras, history, orphans, predecessors, partitions, List.of());
    }

    /** Hash (32), status code (1, {@link BlobStatus#code()}), time (8: since, or collected at), decision cycle (4, unsigned). */
    public static final int BLOB_BYTES = 45;

    /** The store reconciliation's state (see {@code Orphans}); null in a snapshot written before it existed. */
    public record OrphanState(List<BlobHash> condemned, BlobHash scannedUpTo, long totalCondemned, long totalDeleted)
            implements CborSerializable {
    }

    /**
     * What earlier coordinator instances may still be deleting (see {@code PredecessorDeletions}); null in a snapshot
     * written before it existed. Generations are this recovery's count of takeovers.
     */
    public record PredecessorState(int generation, int doneBelow, List<Writer> writers, List<HandedOut> handedOut,
                                   List<HandedOut> deletedForPredecessor) implements CborSerializable {
    }

    /** A coordinator instance that wrote a takeover, its generation, and its sweeper's batch deadline (0: unknown). */
    public record Writer(int generation, String instance, long batchDeadlineMs) implements CborSerializable {
    }

    /** A hash and the latest generation that handed it out (or may still delete it), and the one before (-1: none). */
    public record HandedOut(BlobHash hash, int generation, int before) implements CborSerializable {
    }

    /**
     * A blob's remote callees (partitions.md §1): the hashes another partition owns that it depends on. The
     * {@code remoteEdges} of a snapshot; absent (none) in one written before partitions had edges between them.
     */
    public record RemoteCallees(BlobHash caller, List<BlobHash> callees) implements CborSerializable {
    }

    public record Extra(BlobHash hash, List<BlobHash> dependencies, List<Pin> pins, int failedDeletions,
                        long deletionStartedAt) implements CborSerializable {
    }
}
