package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.store.BlobStore;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of S10 after f80ff3a (review-s10): {@code PredecessorDeletions} remembers, for a hash handed to a sweeper,
 * only the FIRST generation that handed it out ({@code handedOutIn.putIfAbsent}). A deletion confirmed later is
 * remembered as "deleted for a predecessor" only if that first generation is not done yet ({@code by >= doneBelow}).
 * When a hash is handed out by generation 1 and again by generation 2 (a retry after failed or expired deletions),
 * and generation 2 writes {@code PredecessorsDone("S")} (its window is over) and pauses with the hash in its sweeper's
 * batch (handed out before or after that write), the hash is recorded as generation 1's, which is done: generation
 * 3 deletes it and confirms it, nothing is remembered, and generation 4 (a restart in place of 3, or a failover from
 * the journal or a snapshot), within generation 2's batch deadline, accepts the hash's new content while generation
 * 2's sweeper still holds it in time.
 * <p>
 * Core level, one monotonic clock ({@code mono}, ms) for every instance (S10's assumption), the journal kept by the
 * test, as in {@link InheritedWindowReviewTest} and {@link OrphanPredecessorReviewTest}.
 */
class GenerationReHandReviewTest {

    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(60_000L);
    private static final long BATCH_DEADLINE = 30_000L;
    private static final long ORPHAN_GRACE = 3_600_000L;

    private long now = 1_700_000_000_000L;
    private long mono;
    private final TestJournal journal = new TestJournal(SETTINGS);
    private final Set<BlobHash> store = new HashSet<>();

    private enum Fourth { RESTART_IN_PLACE, FAILOVER_FROM_JOURNAL, FAILOVER_FROM_SNAPSHOT }

    /** A DELETING blob; the third instance restarts in place (restartWithBackoff: the same CoordinatorCore). */
    @Test
    void aBlobReHandedAfterPredecessorsDoneIsStillRefusedAfterARestartInPlace() {
        scenario(false, Fourth.RESTART_IN_PLACE, false);
    }

    /** A DELETING blob; the third instance fails over to a fourth member that recovers from the journal. */
    @Test
    void aBlobReHandedAfterPredecessorsDoneIsStillRefusedAfterAFailover() {
        scenario(false, Fourth.FAILOVER_FROM_JOURNAL, false);
    }

    /** A DELETING blob; the fourth instance recovers from a snapshot of the ledger. */
    @Test
    void aBlobReHandedAfterPredecessorsDoneIsStillRefusedAfterAFailoverFromASnapshot() {
        scenario(false, Fourth.FAILOVER_FROM_SNAPSHOT, false);
    }

    /** The same with a condemned orphan (its deletion leaves no COLLECTED blob behind). */
    @Test
    void anOrphanReHandedAfterPredecessorsDoneIsStillRefusedAfterAFailover() {
        scenario(true, Fourth.FAILOVER_FROM_JOURNAL, false);
    }

    /**
     * The re-hand need not come after PredecessorsDone: S hands h out again 50 s into its window (a BatchExpired
     * hand-back of a slow store), writes PredecessorsDone("S") at the window's end with h still in its sweeper's batch
     * (deadline 20 s later), and pauses. (A fix that only forgets handed-out entries at PredecessorsDone, or that takes
     * the re-hander's generation only once the first is done, still fails this one: what counts is the LAST
     * generation that handed h out before the one confirming it.)
     */
    @Test
    void aBlobReHandedWithinTheWindowAndHeldPastPredecessorsDoneIsStillRefusedAfterAFailover() {
        scenario(false, Fourth.FAILOVER_FROM_JOURNAL, true);
    }

    private void scenario(boolean orphan, Fourth fourthKind, boolean reHandWithinWindow) {
        BlobHash h = BlobHash.sha256(("handed out by generation 1, again by 2 after its window, "
                + (orphan ? "orphan" : "blob")).getBytes());
        store.add(h);

        // ---- generation 1 (P): h fenced for deletion and handed to its sweeper; P dies (kill -9) before deleting
        PartitionedLedger pl = new PartitionedLedger(SETTINGS);
        CoordinatorCore p = new CoordinatorCore(false);
        p.recovered(pl, null, mono);
        journal.run(pl, p.takeOver("P", now, BATCH_DEADLINE));
        if (orphan) {
            journal.run(pl, p.storePage(pl, null, List.of(new BlobStore.Entry(h, now - 2 * ORPHAN_GRACE)), false, false, now,
                    ORPHAN_GRACE));
            assertTrue(pl.isCondemnedOrphan(h), "precondition: condemned");
        } else {
            journal.run(pl, p.register(pl, List.of(Registration.of(h)), store::contains, now, mono));
            journal.run(pl, p.report(TestJournal.full("n1", 1, List.of()), mono));
            long seq = 1;
            for (int i = 0; i < 6 && pl.status(h).orElseThrow() != BlobStatus.MARKED_FOR_COLLECTION; i++) {
                now += 61_000;
                mono += 61_000;
                journal.run(pl, p.report(TestJournal.heartbeat("n1", ++seq), mono));
                journal.run(pl, p.cycle(pl, false, now, mono));
            }
            assertEquals(BlobStatus.MARKED_FOR_COLLECTION, pl.status(h).orElseThrow(), "precondition: marked");
            now += 1_000;
            mono += 1_000;
            journal.run(pl, p.report(TestJournal.heartbeat("n1", ++seq), mono)); // the confirmation after the mark
        }
        assertEquals(List.of(h), journal.run(pl, p.startDeletion(pl, 10, now)), "precondition: P hands h out");
        assertEquals(1, pl.generation());

        // ---- generation 2 (S) takes over; its first attempt at h fails (the store errs for a while)
        now += 5_000;
        mono += 5_000;
        PartitionedLedger sl = journal.recover();
        CoordinatorCore s = new CoordinatorCore(false);
        s.recovered(sl, null, mono);
        journal.run(sl, s.takeOver("S", now, BATCH_DEADLINE));
        s.tookOver(sl, mono, BATCH_DEADLINE);
        assertEquals(2, sl.generation());
        assertEquals(List.of(h), journal.run(sl, s.startDeletion(sl, 10, now)), "S hands h out again");
        SweeperCore sSweeper = new SweeperCore(1.0, 100, 1_000, Long.MAX_VALUE);
        if (!reHandWithinWindow) {
            // its first attempt fails (the store errs for a while)
            journal.run(sl, s.deletionFailed(sl, h, "java.io.IOException: store unavailable", now));
            // S's window ends (P is long dead): S writes that its predecessors are done — true
            now += 2 * BATCH_DEADLINE;
            mono += 2 * BATCH_DEADLINE;
            int before = journal.events.size();
            journal.run(sl, s.windowOver(sl, mono, now));
            assertEquals(List.of(new Coordinator.PredecessorsDone("S", now)), journal.events.subList(before, journal.events.size()),
                    "precondition: generation 2 wrote the end of its window");
            // the store works again: S hands h out once more (a retry, under a new write) and its JVM pauses with h
            // in its sweeper's batch, before the first deletion
            now += 1_000;
            mono += 1_000;
            assertEquals(List.of(h), journal.run(sl, s.startDeletion(sl, 10, now)), "S hands h out after its window");
            assertTrue(sSweeper.wake(mono * 1_000_000L));
            sSweeper.batch(List.of(h), mono * 1_000_000L, (mono + BATCH_DEADLINE) * 1_000_000L);
        } else {
            // the store is slow: the batch's deadline passes before h is deleted, it is handed back (BatchExpired)
            s.batchExpired(List.of(h));
            // and, after the sweeper's retries and backoff, handed out again 50 s into S's window: its deadline comes
            // 20 s after the window's end
            now += 50_000;
            mono += 50_000;
            assertEquals(List.of(h), journal.run(sl, s.startDeletion(sl, 10, now)), "S hands h out again within its window");
            assertTrue(sSweeper.wake(mono * 1_000_000L));
            sSweeper.batch(List.of(h), mono * 1_000_000L, (mono + BATCH_DEADLINE) * 1_000_000L);
            // S's window ends: S writes that its predecessors are done — true (P is long dead)
            now += 2 * BATCH_DEADLINE - 50_000;
            mono += 2 * BATCH_DEADLINE - 50_000;
            int before = journal.events.size();
            journal.run(sl, s.windowOver(sl, mono, now));
            assertEquals(List.of(new Coordinator.PredecessorsDone("S", now)), journal.events.subList(before, journal.events.size()),
                    "precondition: generation 2 wrote the end of its window");
        }
        // ... S's JVM pauses here (GC, SIGSTOP) past a failover, h in its sweeper's batch, before it is deleted

        // ---- generation 3 (T) takes over, deletes h for S and confirms it
        now += 5_000;
        mono += 5_000;
        PartitionedLedger tl = journal.recover();
        CoordinatorCore t = new CoordinatorCore(false);
        t.recovered(tl, null, mono);
        journal.run(tl, t.takeOver("T", now, BATCH_DEADLINE));
        t.tookOver(tl, mono, BATCH_DEADLINE);
        assertEquals(3, tl.generation());
        List<BlobHash> tBatch = journal.run(tl, t.startDeletion(tl, 10, now));
        assertEquals(List.of(h), tBatch);
        store.removeAll(tBatch);
        journal.run(tl, t.confirmDeleted(tBatch, 1, now));

        // ---- generation 4: T restarts in place (journal hiccup) or fails over, well within S's batch deadline
        now += 2_000;
        mono += 2_000;
        PartitionedLedger ul = fourthKind == Fourth.FAILOVER_FROM_SNAPSHOT
                ? PartitionedLedger.fromSnapshot(SETTINGS, journal.recover().snapshot()) : journal.recover();
        CoordinatorCore u = fourthKind == Fourth.RESTART_IN_PLACE ? t : new CoordinatorCore(false);
        u.recovered(ul, null, mono);
        journal.run(ul, u.takeOver("U", now, BATCH_DEADLINE));
        u.tookOver(ul, mono, BATCH_DEADLINE);

        // a VM uploads h again: content first, then the registration
        now += 1_000;
        mono += 1_000;
        store.add(h);
        Registered r = journal.run(ul, u.register(ul, List.of(Registration.of(h)), store::contains, now, mono));

        // S resumes: its batch's deadline has not come, h is still in its sweeper's batch
        assertTrue(sSweeper.inTime(mono * 1_000_000L) && sSweeper.pending(h),
                "precondition: S's sweeper still holds h in time");
        assertEquals(List.of(h), r.retry(), "h took new content (" + r + ") while generation 2's sweeper still holds "
                + "it in time: generation 2 handed it out again, but h is remembered as handed out by generation 1 "
                + "(the first), which PredecessorsDone(\"S\") declared done, so its deletion by generation 3 was not "
                + "remembered "
                + "(deletedForPredecessors = " + ul.deletedForPredecessors() + ")");
    }

    /**
     * The bookkeeping alone, on the ledger's events: generation 1 hands h out, generation 2 writes that its
     * predecessors are done and hands h out again, generation 3 confirms its deletion. Generation 2 may still hold h
     * (it is not done: only generations below 2 are), so h must be remembered as deleted for a predecessor — from the
     * events and from a snapshot alike.
     */
    @Test
    void aReHandAfterPredecessorsDoneIsRememberedAsTheReHandersDeletion() {
        BlobHash h = BlobHash.sha256("condemned orphan, handed out twice".getBytes());
        List<Coordinator.Event> events = List.of(
                new Coordinator.TookOver("P", now, BATCH_DEADLINE, 1),
                new Coordinator.OrphansCondemned(List.of(h), null, now),
                new Coordinator.DeletionStarted(List.of(h), now),      // generation 1 hands h out
                new Coordinator.TookOver("S", now, BATCH_DEADLINE, 1),
                new Coordinator.PredecessorsDone("S", now),              // true: generation 1 is dead
                new Coordinator.DeletionStarted(List.of(h), now),      // generation 2 hands h out again, and pauses
                new Coordinator.TookOver("T", now, BATCH_DEADLINE, 1),
                new Coordinator.DeletionStarted(List.of(h), now),
                new Coordinator.BlobsCollected(List.of(h), now, 1));  // generation 3 deletes it for generation 2
        PartitionedLedger l = new PartitionedLedger(SETTINGS);
        for (Coordinator.Event e : events) CoordinatorCore.apply(l, e);
        assertEquals(3, l.generation());
        assertEquals(Set.of(h), l.deletedForPredecessors(), "generation 2 handed h out and is not done: its "
                + "deletion by generation 3 must be remembered until T writes PredecessorsDone");
        assertEquals(Set.of(h), PartitionedLedger.fromSnapshot(SETTINGS, l.snapshot()).deletedForPredecessors(),
                "from a snapshot");
    }

    /** The same bookkeeping, the re-hand within generation 2's window, before its PredecessorsDone("S"). */
    @Test
    void aReHandBeforePredecessorsDoneIsRememberedAsTheReHandersDeletion() {
        BlobHash h = BlobHash.sha256("condemned orphan, handed out twice, the second time before the window's end"
                .getBytes());
        List<Coordinator.Event> events = List.of(
                new Coordinator.TookOver("P", now, BATCH_DEADLINE, 1),
                new Coordinator.OrphansCondemned(List.of(h), null, now),
                new Coordinator.DeletionStarted(List.of(h), now),      // generation 1 hands h out
                new Coordinator.TookOver("S", now, BATCH_DEADLINE, 1),
                new Coordinator.DeletionStarted(List.of(h), now),      // generation 2 hands h out again
                new Coordinator.PredecessorsDone("S", now),              // its window is over; it still holds h
                new Coordinator.TookOver("T", now, BATCH_DEADLINE, 1),
                new Coordinator.DeletionStarted(List.of(h), now),
                new Coordinator.BlobsCollected(List.of(h), now, 1));  // generation 3 deletes it for generation 2
        PartitionedLedger l = new PartitionedLedger(SETTINGS);
        for (Coordinator.Event e : events) CoordinatorCore.apply(l, e);
        assertEquals(Set.of(h), l.deletedForPredecessors(), "generation 2 handed h out and is not done: its "
                + "deletion by generation 3 must be remembered until T writes PredecessorsDone");
    }

    /**
     * Recovery from a snapshot written before generations existed (no {@code predecessors}) counts generations from 0
     * at the snapshot, while a replay of the same journal counts every TookOver. Events therefore name instances, not
     * generations: a PredecessorsDone recovered either way means the same — here that B's window is over while C,
     * which handed h out, is not done; h deleted by D for C is remembered both ways.
     */
    @Test
    void anOldFormatSnapshotAndAReplayAgreeOnWhatIsDone() {
        BlobHash h = BlobHash.sha256("an orphan handed out by C".getBytes());
        List<Coordinator.Event> before = List.of(new Coordinator.TookOver("A", now, BATCH_DEADLINE, 1),
                new Coordinator.TookOver("B", now, BATCH_DEADLINE, 1));
        List<Coordinator.Event> after = List.of(new Coordinator.TookOver("C", now, BATCH_DEADLINE, 1),
                new Coordinator.OrphansCondemned(List.of(h), null, now),
                new Coordinator.DeletionStarted(List.of(h), now),
                new Coordinator.PredecessorsDone("B", now),
                new Coordinator.TookOver("D", now, BATCH_DEADLINE, 1),
                new Coordinator.DeletionStarted(List.of(h), now),
                new Coordinator.BlobsCollected(List.of(h), now, 1));
        PartitionedLedger atSnapshot = new PartitionedLedger(SETTINGS);
        for (Coordinator.Event e : before) CoordinatorCore.apply(atSnapshot, e);
        io.blobgc.ledger.LedgerSnapshot s = atSnapshot.snapshot();
        io.blobgc.ledger.LedgerSnapshot old = new io.blobgc.ledger.LedgerSnapshot(s.cycle(), s.graceResetAt(),
                s.frozen(), s.totalCollected(), s.totalCollectedBytes(), s.totalFailedDeletions(), s.blobCount(),
                s.blobs(), s.extras(), s.history(), s.orphans(), null, 0); // as the code before f80ff3a wrote it
        PartitionedLedger fromOld = PartitionedLedger.fromSnapshot(SETTINGS, old);
        for (Coordinator.Event e : after) CoordinatorCore.apply(fromOld, e);
        PartitionedLedger replayed = new PartitionedLedger(SETTINGS);
        for (Coordinator.Event e : before) CoordinatorCore.apply(replayed, e);
        for (Coordinator.Event e : after) CoordinatorCore.apply(replayed, e);
        assertEquals(Set.of(h), replayed.deletedForPredecessors(), "replayed");
        assertEquals(Set.of(h), fromOld.deletedForPredecessors(), "from the old snapshot and the events after it");
    }

    /**
     * S10's wait must cover the predecessor's deadline, not only the successor's own {@code 2 × batch-deadline}: the
     * predecessor's sweeper stops at ITS deadline (now recorded in its TookOver). An operator lowers {@code blob-gc.sweeper.batch-deadline} (5 min → 30 s) in a
     * rolling restart: the old instance P (5 min) pauses with an orphan in its batch; S (30 s) takes over, deletes it,
     * its window (60 s) ends, it writes PredecessorsDone and takes the re-upload, while P's sweeper still holds the
     * hash in time for another four minutes.
     */
    @Test
    void aLowerBatchDeadlineOnTheSuccessorDoesNotShortenThePredecessorsDeadline() {
        long predecessorDeadline = 300_000L; // P's configuration
        long successorDeadline = 30_000L;    // S's configuration
        BlobHash h = BlobHash.sha256("an orphan in a 5-minute batch".getBytes());
        store.add(h);

        PartitionedLedger pl = new PartitionedLedger(SETTINGS);
        CoordinatorCore p = new CoordinatorCore(false);
        p.recovered(pl, null, mono);
        journal.run(pl, p.takeOver("P", now, predecessorDeadline));
        journal.run(pl, p.storePage(pl, null, List.of(new BlobStore.Entry(h, now - 2 * ORPHAN_GRACE)), false, false, now,
                ORPHAN_GRACE));
        SweeperCore pSweeper = new SweeperCore(1.0, 100, 1_000, Long.MAX_VALUE);
        assertTrue(pSweeper.wake(mono * 1_000_000L));
        long deadline = (mono + predecessorDeadline) * 1_000_000L;
        pSweeper.batch(journal.run(pl, p.startDeletion(pl, 10, now)), mono * 1_000_000L, deadline);
        // P pauses before its sweeper's first deletion

        now += 5_000;
        mono += 5_000;
        PartitionedLedger sl = journal.recover();
        CoordinatorCore s = new CoordinatorCore(false);
        s.recovered(sl, null, mono);
        journal.run(sl, s.takeOver("S", now, successorDeadline));
        s.tookOver(sl, mono, successorDeadline);
        List<BlobHash> batch = journal.run(sl, s.startDeletion(sl, 10, now));
        assertEquals(List.of(h), batch);
        store.remove(h);
        journal.run(sl, s.confirmDeleted(batch, 1, now));

        now += 2 * successorDeadline;
        mono += 2 * successorDeadline;
        journal.run(sl, s.windowOver(sl, mono, now));
        store.add(h);
        Registered r = journal.run(sl, s.register(sl, List.of(Registration.of(h)), store::contains, now, mono));
        assertTrue(pSweeper.inTime(mono * 1_000_000L) && pSweeper.pending(h),
                "precondition: P's sweeper still holds h in time");
        assertEquals(List.of(h), r.retry(), "h took new content (" + r + ") while P's sweeper, configured with a "
                + "longer batch deadline, still holds it in time");
    }
}
