package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;
import io.blobgc.store.BlobStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Independent review of the store reconciliation (issue 19), fixed by S10's batch deadline (issue 22): a condemned
 * orphan's fence across a failover, the coordinator's core and a sweeper core driven directly, with a journal kept
 * by the test (as AdversarialReview3Test does) and the store modelled as a set of hashes. Monotonic time is one
 * clock here ({@code mono}, ms) for both instances: the assumption S10 states (a paused process's monotonic clock
 * keeps up with real time).
 */
class OrphanPredecessorReviewTest {

    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(60_000L);
    private static final long ORPHAN_GRACE = 3_600_000L;
    private static final long BATCH_DEADLINE = 30_000L;

    private long now = 1_700_000_000_000L;
    private final TestJournal journal = new TestJournal(SETTINGS);
    private final Set<BlobHash> store = new HashSet<>();

    /**
     * P2 / S10 ("late, not dead"; "a blob a successor finished deleting for a predecessor takes no new upload while
     * that predecessor could still be deleting"). A condemned orphan is fenced only by the ledger's condemned set,
     * which the first confirmed deletion lifts — whoever confirms it. The predecessor condemned H and handed it to
     * its sweeper (rate-limited: H waits in the sweeper's queue), then paused (GC, SIGSTOP) past a failover. The
     * successor recovers from the journal, hands the condemned H to its own sweeper, deletes it and confirms: the
     * fence is lifted. An upload of H writes it again and registers: accepted, ACTIVE. The predecessor resumes and
     * its sweeper, which does no write before deleting, deletes H from its queue: an ACTIVE blob without content
     * (P1), a successful registration deleted by a sweeper outside the lifecycle (P2).
     */
    @Test
    void aCondemnedOrphanConfirmedByASuccessorTakesNoUploadWhileThePredecessorsSweeperMayStillDeleteIt() {
        // two orphans (written by uploads whose registrations were lost), in the store's listing order
        List<BlobHash> two = new ArrayList<>(List.of(BlobHash.sha256("orphan one".getBytes()),
                BlobHash.sha256("orphan two".getBytes())));
        two.sort(java.util.Comparator.comparing(BlobHash::toHex));
        BlobHash first = two.get(0), h = two.get(1);
        store.addAll(two);

        // the predecessor condemns them and hands them to its sweeper
        PartitionedLedger pl = new PartitionedLedger(SETTINGS);
        CoordinatorCore pred = new CoordinatorCore(false);
        pred.recovered(pl, null, now);
        journal.run(pl, pred.storePage(pl, null, two.stream().map(x -> new BlobStore.Entry(x, now - 2 * ORPHAN_GRACE)).toList(),
                false, false, now, ORPHAN_GRACE));
        assertTrue(pl.isCondemnedOrphan(h));
        SweeperCore predSweeper = new SweeperCore(1.0, 100, 1_000, Long.MAX_VALUE); // 1 deletion a second
        long mono = 0;
        assertTrue(predSweeper.wake(mono * 1_000_000L));
        long deadline = (mono + BATCH_DEADLINE) * 1_000_000L; // counted from before the batch's write
        List<BlobHash> batch = journal.run(pl, pred.startDeletion(pl, 10, now));
        assertEquals(two, batch);
        assertTrue(journal.events.get(journal.events.size() - 1) instanceof Coordinator.DeletionStarted d && d.hashes().equals(two),
                "the batch went out under a write of its own");
        predSweeper.batch(batch, mono * 1_000_000L, deadline);
        for (BlobHash x : predSweeper.due(mono * 1_000_000L)) { // the bucket's one token: the first orphan
            store.remove(x);
            predSweeper.deleted(x, 1);
        }
        assertFalse(store.contains(first));
        assertEquals(1, predSweeper.queued(), "H waits in the predecessor sweeper's queue (rate limit)");
        // … and the predecessor's JVM pauses here (GC, SIGSTOP) past a failover

        // the successor recovers from the journal, takes over, hands the condemned H to its sweeper (under a write of
        // its own), deletes it and confirms
        now += 10_000;
        mono += 10_000;
        PartitionedLedger sl = journal.recover();
        CoordinatorCore succ = new CoordinatorCore(false);
        succ.recovered(sl, null, mono);
        journal.run(sl, succ.takeOver("successor", now, BATCH_DEADLINE));
        succ.tookOver(sl, mono, BATCH_DEADLINE);
        int written = journal.events.size();
        List<BlobHash> succBatch = journal.run(sl, succ.startDeletion(sl, 10, now));
        assertEquals(two, succBatch);
        assertEquals(written + 1, journal.events.size(), "the predecessor's batch goes out again under the successor's write");
        store.removeAll(succBatch);
        journal.run(sl, succ.confirmDeleted(succBatch, 1, now));

        // an upload of H: content first, then the registration — refused for now: the predecessor may still delete it
        store.add(h);
        Registered r = journal.run(sl, succ.register(sl, List.of(Registration.of(h)), store::contains, now, mono));
        assertEquals(List.of(h), r.retry(), "a re-upload while a predecessor may still be deleting it: retry later");
        assertTrue(sl.status(h).isEmpty(), "nothing registered");

        // the predecessor resumes within its deadline: its sweeper deletes what its queue holds (the refused upload's
        // content, which nothing accounts for)
        mono += 2_000;
        for (BlobHash x : predSweeper.due(mono * 1_000_000L)) {
            store.remove(x);
            predSweeper.deleted(x, 1);
        }
        assertFalse(store.contains(h));

        // past the successor's window the predecessor's deadline is long over: it deletes nothing more, and the
        // upload goes through
        mono += 2 * BATCH_DEADLINE;
        store.add(h);
        Registered again = journal.run(sl, succ.register(sl, List.of(Registration.of(h)), store::contains, now, mono));
        assertEquals(List.of(h), again.accepted());
        assertTrue(predSweeper.due(mono * 1_000_000L).isEmpty(), "a sweeper past its batch deadline deletes nothing");
        assertTrue(store.contains(h));
        assertEquals(BlobStatus.ACTIVE, sl.status(h).orElseThrow());
    }

    /**
     * The review of S10: the successor deletes a paused predecessor's condemned orphan, confirms it, and fails over to
     * a third instance within the predecessor's deadline. An orphan leaves no COLLECTED blob behind; the third instance
     * must still refuse its re-upload for its own window (the deleted orphan is remembered, in events and snapshots).
     */
    @Test
    void aDeletedOrphanWaitsOutAPredecessorAcrossASecondFailover() {
        BlobHash h = BlobHash.sha256("an orphan the predecessor condemned".getBytes());
        store.add(h);
        PartitionedLedger pl = new PartitionedLedger(SETTINGS);
        CoordinatorCore pred = new CoordinatorCore(false);
        long mono = 0;
        pred.recovered(pl, null, mono);
        journal.run(pl, pred.takeOver("P", now, BATCH_DEADLINE));
        journal.run(pl, pred.storePage(pl, null, List.of(new BlobStore.Entry(h, now - 2 * ORPHAN_GRACE)), false, false, now,
                ORPHAN_GRACE));
        SweeperCore predSweeper = new SweeperCore(1.0, 100, 1_000, Long.MAX_VALUE);
        assertTrue(predSweeper.wake(0));
        predSweeper.batch(journal.run(pl, pred.startDeletion(pl, 10, now)), 0, BATCH_DEADLINE * 1_000_000L);
        // the predecessor pauses before its sweeper's first deletion

        mono += 5_000;
        PartitionedLedger sl = journal.recover();
        CoordinatorCore succ = new CoordinatorCore(false);
        succ.recovered(sl, null, mono);
        journal.run(sl, succ.takeOver("S", now, BATCH_DEADLINE));
        succ.tookOver(sl, mono, BATCH_DEADLINE);
        List<BlobHash> batch = journal.run(sl, succ.startDeletion(sl, 10, now));
        assertEquals(List.of(h), batch);
        store.remove(h);
        journal.run(sl, succ.confirmDeleted(batch, 1, now));
        assertFalse(sl.isCondemnedOrphan(h));

        // the successor fails over to a third instance, from a snapshot of the successor's ledger and the journal
        mono += 2_000;
        PartitionedLedger tl = PartitionedLedger.fromSnapshot(SETTINGS, journal.recover().snapshot());
        CoordinatorCore third = new CoordinatorCore(false);
        third.recovered(tl, null, mono);
        journal.run(tl, third.takeOver("T", now, BATCH_DEADLINE));
        third.tookOver(tl, mono, BATCH_DEADLINE);
        store.add(h);
        Registered r = journal.run(tl, third.register(tl, List.of(Registration.of(h)), store::contains, now, mono));
        assertEquals(List.of(h), r.retry(), "the predecessor's sweeper still holds h in time: retry later");
        assertTrue(predSweeper.inTime(mono * 1_000_000L), "precondition: the predecessor may still delete h");

        mono += 2 * BATCH_DEADLINE;
        assertEquals(List.of(h), journal.run(tl, third.register(tl, List.of(Registration.of(h)), store::contains, now, mono))
                .accepted(), "after the window");
    }

    /** A sweeper deletes nothing of a batch once its deadline came, and hands the rest back; in time, as before. */
    @Test
    void aSweeperDeletesNothingOfABatchPastItsDeadline() {
        SweeperCore sweeper = new SweeperCore(1.0, 100, 1_000, Long.MAX_VALUE);
        List<BlobHash> three = List.of(BlobHash.sha256("1".getBytes()), BlobHash.sha256("2".getBytes()),
                BlobHash.sha256("3".getBytes()));
        assertTrue(sweeper.wake(0));
        sweeper.batch(three, 0, 1_500_000_000L);
        List<BlobHash> first = sweeper.due(0);
        assertEquals(1, first.size());
        sweeper.deleted(first.get(0), 1);
        List<BlobHash> second = sweeper.due(1_000_000_000L); // in time
        assertEquals(1, second.size());
        assertTrue(sweeper.inTime(1_400_000_000L));
        assertFalse(sweeper.inTime(1_500_000_000L), "checked right before the deletion: time is up");
        sweeper.lapsed(second.get(0));
        assertTrue(sweeper.due(2_000_000_000L).isEmpty(), "past the deadline: nothing");
        assertTrue(sweeper.batchDone());
        assertEquals(List.of(first.get(0)), sweeper.finishBatch(2_000_000_000L).orElseThrow().hashes());
        assertEquals(List.of(three.get(1), three.get(2)), sweeper.takeExpired());
        assertTrue(sweeper.takeExpired().isEmpty());
    }
}
