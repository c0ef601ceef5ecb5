package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.CoordinatorCore.Decision;
import io.blobgc.ledger.PartitionedLedger;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * This instance's takeover and the window after it (S10): what any predecessor instance may still be deleting, and
 * until when its registration is refused; then the write that says the window is over. {@link CoordinatorCore}'s
 * {@code takeOver}, {@code tookOver}, {@code windowRemaining} and {@code windowOver} are these.
 */
final class InheritedWindow {

    /**
     * What any predecessor instance may still be deleting when this one took over (DELETING blobs, condemned orphans,
     * and what a later instance deleted for one that handed it out), and until when (this instance's monotonic
     * millis): registrations of them are refused for now (S10).
     */
    private Set<BlobHash> inherited = Set.of();
    private long inheritedUntil = Long.MIN_VALUE;
    /** This instance's name in its takeover (null before it took over). */
    private String instance;
    /** Whether this instance wrote that its window is over. */
    private boolean windowEndWritten;

    /** Whether the window lasts at {@code localNow}. */
    boolean lasts(long localNow) {
        return localNow < inheritedUntil; // plain comparisons: Long.MAX_VALUE means "no clock"
    }

    /** Whether a predecessor may still be deleting {@code hash} (while the window lasts). */
    boolean inherited(BlobHash hash) {
        return inherited.contains(hash);
    }

    /** See {@link CoordinatorCore#tookOver}. */
    void tookOver(PartitionedLedger l, long localNow, long batchDeadlineMs) {
        Set<BlobHash> mayStillDelete = new LinkedHashSet<>(l.deleting(Integer.MAX_VALUE));
        mayStillDelete.addAll(l.condemnedOrphans(Integer.MAX_VALUE));
        mayStillDelete.addAll(l.deletedForPredecessors());
        inherited = mayStillDelete;
        inheritedUntil = localNow + 2 * Math.max(batchDeadlineMs, l.longestLiveBatchDeadlineMs());
        windowEndWritten = false;
    }

    /** How long until the window ends (0: over), by this instance's monotonic millis. */
    long remaining(long localNow) {
        return Math.max(0, inheritedUntil - localNow);
    }

    /** See {@link CoordinatorCore#windowOver}. */
    Decision<Void> over(long localNow, long now) {
        if (lasts(localNow)) return Decision.answer(st -> null);
        inherited = Set.of();
        if (instance == null || windowEndWritten) return Decision.answer(st -> null);
        windowEndWritten = true;
        return Decision.persist(new Coordinator.PredecessorsDone(instance, now), st -> null);
    }

    /** See {@link CoordinatorCore#takeOver}. */
    Decision<Void> takeOver(String instance, long now, long batchDeadlineMs, int partitions, String hosting,
                            Integer partition) {
        this.instance = instance;
        return Decision.persist(new Coordinator.TookOver(instance, now, batchDeadlineMs, partitions, hosting, partition),
                l -> null);
    }
}
