package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.CoordinatorCore.Decision;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.store.BlobStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The sweeper's side of the coordinator: the batches it is handed, its confirmations and failures, and the store
 * reconciliation's walk that condemns orphans. What lives here belongs to one incarnation of the coordinator and is
 * reset by {@link #recovered}. {@link CoordinatorCore}'s {@code startDeletion}, {@code batchExpired},
 * {@code confirmDeleted}, {@code deletionFailed}, {@code orphanScanAfter} and {@code storePage} are these.
 */
final class Deletions {

    private final boolean dryRun;
    /** Blobs handed to the sweeper and not yet confirmed or failed. */
    private final Set<BlobHash> inFlight = new HashSet<>();
    /** Failed deletions not journaled: a blob that keeps failing is journaled after 1, 2, 4, 8… failures. */
    private final Map<BlobHash, Integer> unjournaledFailures = new HashMap<>();
    /** Where the store reconciliation's walk goes on: after this hash (null: from the first). */
    private BlobHash orphanScanAfter;
    /** Journaled deletion failures of condemned orphans (the ledger counts blobs' by id; an orphan may have none). */
    private final Map<BlobHash, Integer> orphanFailuresJournaled = new HashMap<>();

    /** @param dryRun the configured {@code blob-gc.dry-run}: delete nothing, condemn nothing (S9) */
    Deletions(boolean dryRun) {
        this.dryRun = dryRun;
    }

    /**
     * Recovery completed: what the previous incarnation handed out is forgotten; the walk resumes where persisted, or
     * at the start of its range.
     */
    void recovered(PartitionedLedger l) {
        inFlight.clear();
        unjournaledFailures.clear();
        orphanFailuresJournaled.clear();
        BlobHash resumes = l.orphanScanResumesAfter();
        orphanScanAfter = resumes == null ? walkStart(l) : resumes;
    }

    /*
     * The walk's range: the whole store, or a partition entity's partition (partitions-part2-plan S1.2): the hashes of
     * the other partitions are theirs to judge, and the entity does not hold them.
     */

    /** Where a pass of the walk starts: after the last hash before the hosted partitions (null: from the first). */
    private static BlobHash walkStart(PartitionedLedger l) {
        int first = l.hostedPartitions().get(0);
        return first == 0 ? null : l.partitioning().highest(first - 1);
    }

    /** The last hash a pass of the walk reads: of the last hosted partition (null: to the end of the store). */
    private static BlobHash walkEnd(PartitionedLedger l) {
        List<Integer> hosted = l.hostedPartitions();
        int last = hosted.get(hosted.size() - 1);
        return last == l.partitioning().count() - 1 ? null : l.partitioning().highest(last);
    }

    /** See {@link CoordinatorCore#startDeletion}. */
    Decision<List<BlobHash>> startDeletion(PartitionedLedger l, int max, long now) {
        if (dryRun || max <= 0) return Decision.answer(st -> List.of());
        max = Math.min(max, CoordinatorCore.MAX_DELETION_BATCH);
        List<BlobHash> batch = new ArrayList<>();
        for (BlobHash h : l.deleting(max + inFlight.size())) {
            if (batch.size() < max && !inFlight.contains(h)) batch.add(h);
        }
        for (BlobHash h : l.condemnedOrphans(max + inFlight.size())) { // fenced already: OrphansCondemned
            if (batch.size() < max && !inFlight.contains(h)) batch.add(h);
        }
        List<BlobHash> fresh = l.planDeletion(max - batch.size());
        inFlight.addAll(batch);
        inFlight.addAll(fresh);
        List<BlobHash> all = new ArrayList<>(batch);
        all.addAll(fresh);
        if (all.isEmpty()) return Decision.answer(st -> all);
        // every batch goes out under a write of this instance, what it hands out again (a predecessor's DELETING
        // blobs, condemned orphans, retries) included: an instance fenced out by a successor's takeover cannot write
        // it, so its sweeper is handed nothing (S10). The event moves only the fresh ones (MARKED) to DELETING.
        return Decision.persist(new Coordinator.DeletionStarted(all, now), st -> all);
    }

    /** See {@link CoordinatorCore#batchExpired}. */
    void batchExpired(List<BlobHash> hashes) {
        if (hashes != null) hashes.forEach(inFlight::remove);
    }

    /** See {@link CoordinatorCore#confirmDeleted}. */
    Decision<Void> confirmDeleted(List<BlobHash> hashes, long bytes, long now) {
        long freed = Math.max(0, bytes);
        List<BlobHash> done = hashes == null ? List.of() : hashes.stream().filter(Objects::nonNull).toList();
        done.forEach(inFlight::remove);
        done.forEach(unjournaledFailures::remove);
        done.forEach(orphanFailuresJournaled::remove);
        if (done.isEmpty()) return Decision.answer(st -> null);
        return Decision.persist(new Coordinator.BlobsCollected(done, now, freed), st -> null);
    }

    /** See {@link CoordinatorCore#deletionFailed}. */
    Decision<Void> deletionFailed(PartitionedLedger l, BlobHash hash, String error, long now) {
        if (hash == null) return Decision.answer(st -> null);
        inFlight.remove(hash);
        // a condemned orphan the registry does not know has no id for the ledger to count on: counted here
        boolean orphan = l.isCondemnedOrphan(hash);
        int journaled = orphan ? orphanFailuresJournaled.getOrDefault(hash, 0) : l.failedDeletions(hash);
        int pending = unjournaledFailures.merge(hash, 1, Integer::sum);
        if (pending < (journaled == 0 ? 1 : 1 << Math.min(20, journaled - 1))) return Decision.answer(st -> null);
        unjournaledFailures.remove(hash);
        if (orphan) orphanFailuresJournaled.merge(hash, 1, Integer::sum);
        return Decision.persist(new Coordinator.DeletionFailed(hash, error, now), st -> null);
    }

    BlobHash orphanScanAfter() {
        return orphanScanAfter;
    }

    /** See {@link CoordinatorCore#storePage}. */
    Decision<List<BlobHash>> storePage(PartitionedLedger l, BlobHash after, List<BlobStore.Entry> entries, boolean more,
                                       boolean dryRunAsked, long now, long graceMs) {
        if (!Objects.equals(after, orphanScanAfter) || entries == null) return Decision.answer(st -> List.of());
        List<BlobHash> orphans = new ArrayList<>();
        BlobHash last = after;
        BlobHash end = walkEnd(l);
        boolean passGoesOn = more;
        for (BlobStore.Entry e : entries) {
            if (e == null || e.hash() == null) continue;
            if (end != null && e.hash().compareTo(end) > 0) { // past the range: the pass is over
                passGoesOn = false;
                break;
            }
            last = e.hash();
            // an entry from the future (clock skew) is young; the subtraction cannot overflow for any graceMs >= 0
            if (e.modifiedAtMs() <= now - Math.max(0, graceMs) && l.isOrphan(e.hash())) orphans.add(e.hash());
        }
        orphanScanAfter = passGoesOn ? last : walkStart(l);
        if (dryRun || dryRunAsked) return Decision.answer(st -> orphans); // S9: named, never condemned
        // the walk's position is persisted with every page that moves it (one small event per cycle, beside the
        // cycle's own), so that restarts more frequent than a pass over the store cannot keep its end from being
        // reached: a recovery resumes after the last page read
        if (orphans.isEmpty() && Objects.equals(orphanScanAfter, l.orphanScanResumesAfter())) {
            return Decision.answer(st -> orphans);
        }
        return Decision.persist(new Coordinator.OrphansCondemned(List.copyOf(orphans), orphanScanAfter, now),
                st -> orphans);
    }
}
