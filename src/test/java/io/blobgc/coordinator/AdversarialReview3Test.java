package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Independent review of the changes of issue 19 (content first, store reconciliation, tombstone fixpoint, edge use,
 * input caps): the coordinator's core and the ledger driven directly, with a journal kept by the test so that a
 * successor can be recovered from it (as the actor does: events replayed, soft state gone).
 */
class AdversarialReview3Test {

    private static final Predicate<BlobHash> IN_STORE = h -> true;
    private static final long GRACE = 60_000L;
    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(GRACE);

    private long now = 1_700_000_000_000L;
    private long seq;
    private final TestJournal journal = new TestJournal(SETTINGS);

    private static BlobHash h(String s) {
        return BlobHash.sha256(s.getBytes());
    }

    /**
     * Change 4 (commit 724a956) persists a new edge from a caller in use to a callee in its grace as a use of the
     * callee — but it asks "is the caller in use?" on the state before the batch. A batch (POST /v1/blobs with
     * dependencies, or BlobGc.register with several registrations) that adds P->C and C->D at once, with P held,
     * makes D reachable from a held blob, and only C's use is persisted: P is released, the coordinator restarts
     * before its next cycle, and the successor (recovered from the journal) marks and deletes D within the grace of
     * that use (S3) — the exact failure of seed 301125, one hop further.
     */
    @Test
    void aCalleeReachedThroughTwoNewEdgesOfOneBatchIsPersistedAsUsed() {
        PartitionedLedger live = new PartitionedLedger(SETTINGS);
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(live, null, now);
        BlobHash p = h("caller in use"), c = h("middle"), d = h("callee in its grace");
        journal.run(live, core.register(live, List.of(Registration.of(p), Registration.of(c), Registration.of(d)), IN_STORE, now));
        journal.run(live, core.report(NodeReport.full("n1", 1, ++seq, List.of(p), List.of()), now));
        journal.run(live, core.cycle(live, false, now, now)); // C and D unreferenced since t0
        assertEquals(BlobStatus.UNREFERENCED, live.status(d).orElseThrow());

        now += GRACE - 1_000; // 59 s later: one batch adds P -> C and C -> D; P is held, so D is in use from now on
        var batch = core.register(live, List.of(new Registration(p, List.of(c)), new Registration(c, List.of(d))),
                IN_STORE, now);
        journal.run(live, batch);
        assertTrue(live.isProtected(d), "D is reachable from the held P");
        long lastUse = now;

        now += 500; // P is released; the coordinator restarts before its next cycle
        journal.run(live, core.report(NodeReport.delta("n1", 1, ++seq, List.of(), List.of(p), List.of(), List.of()), now));
        PartitionedLedger successor = journal.recover();
        CoordinatorCore next = new CoordinatorCore(false);
        next.recovered(successor, null, now);
        long seq2 = 0;
        journal.run(successor, next.report(NodeReport.full("n1", 2, ++seq2, List.of(), List.of()), now));
        now += 1_500;
        CycleOutcome o = journal.run(successor, next.cycle(successor, false, now, now));
        journal.run(successor, next.report(NodeReport.delta("n1", 2, ++seq2, List.of(), List.of(), List.of(), List.of()), now));
        List<BlobHash> deleted = journal.run(successor, next.startDeletion(successor, 10, now));
        assertFalse(deleted.contains(d), "D handed to the sweeper " + (now - lastUse) + " ms after its last use, "
                + "within the grace of " + GRACE + " ms (S3); the batch persisted " + batch.events()
                + "; the successor's cycle marked " + o.marked());
    }
    /**
     * Change 2: "the walk resumes where it stopped, also after a failover" (reference.conf). It resumes after the
     * scannedUpTo of the last OrphansCondemned — the last page that condemned something — not after the last page
     * read: pages without orphans move only the soft cursor. A coordinator that restarts (deploy, failover, a journal
     * failure) more often than its walk needs to get from that point to an orphan never reaches the orphan: with the
     * defaults (a page of 1,000 per 30 s cycle) a pass over 10M blobs takes 3.5 days; restarted daily, everything
     * beyond 2.9M hashes after the last condemnation is never reconciled, and its orphans stay for ever.
     */
    @Test
    void theStoreWalkReachesTheEndOfTheStoreDespiteRegularRestarts() {
        PartitionedLedger l = new PartitionedLedger(SETTINGS);
        List<BlobHash> stored = new ArrayList<>();
        for (int i = 0; i < 100; i++) stored.add(h("blob " + i));
        stored.sort(java.util.Comparator.comparing(BlobHash::toHex));
        BlobHash orphan = stored.get(stored.size() - 1); // the last hash of the store: never registered
        List<Registration> regs = stored.subList(0, stored.size() - 1).stream().map(Registration::of).toList();
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, now);
        journal.run(l, core.register(l, regs, IN_STORE, now));
        long old = now - 2 * 3_600_000L; // every file is older than the orphan grace
        int page = 10; // 10 pages; the coordinator restarts every 6 cycles
        for (int restart = 0; restart < 20; restart++) {
            PartitionedLedger recovered = journal.recover();
            CoordinatorCore c = new CoordinatorCore(false);
            c.recovered(recovered, null, now);
            for (int cycle = 0; cycle < 6; cycle++) {
                BlobHash after = c.orphanScanAfter();
                int from = after == null ? 0 : stored.indexOf(after) + 1;
                int to = Math.min(stored.size(), from + page);
                List<io.blobgc.store.BlobStore.Entry> entries = stored.subList(from, to).stream()
                        .map(x -> new io.blobgc.store.BlobStore.Entry(x, old)).toList();
                journal.run(recovered, c.storePage(recovered, after, entries, to < stored.size(), false, now, 3_600_000L));
                if (recovered.isCondemnedOrphan(orphan)) return;
                now += 30_000;
            }
        }
        throw new AssertionError("after 20 restarts, 6 cycles each (12 full passes' worth of pages), the orphan at "
                + "the end of the store was never reached: every restart resumed the walk after "
                + journal.recover().orphanScanResumesAfter() + " (the last condemnation; null: the first hash)");
    }
    /**
     * A deletion that keeps failing is journaled after 1, 2, 4, 8… failures — counted by the ledger per blob id. A
     * condemned orphan whose hash the registry does not know has no id: every failure of its deletion (every retry,
     * for as long as it fails) writes a DeletionFailed event.
     */
    @Test
    void aFailingOrphanDeletionIsJournaledAfterOneTwoFourEightFailuresLikeABlobs() {
        PartitionedLedger l = new PartitionedLedger(SETTINGS);
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, now);
        BlobHash orphan = h("an orphan on a read-only directory");
        journal.run(l, core.storePage(l, null, List.of(new io.blobgc.store.BlobStore.Entry(orphan, now - 7_200_000L)), false, false,
                now, 3_600_000L));
        assertTrue(l.isCondemnedOrphan(orphan));
        StringBuilder at = new StringBuilder();
        for (int failure = 1; failure <= 16; failure++) {
            assertEquals(List.of(orphan), journal.run(l, core.startDeletion(l, 10, now)));
            var d = core.deletionFailed(l, orphan, "permission denied", now);
            if (!d.events().isEmpty()) at.append(failure).append(' ');
            journal.run(l, d);
        }
        assertEquals("1 2 4 8 16 ", at.toString(), "failures journaled");
    }
}
