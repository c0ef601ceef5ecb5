package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of S10 (review-s10): the re-upload wait ("a blob a successor finished deleting for a predecessor takes no
 * new upload while that predecessor could still be deleting") is kept only by the instance that took over from the
 * predecessor, in memory. A second takeover within the predecessor's deadline — the successor's own restart
 * (restartWithBackoff after a journal failure: same object, tookOver again) or a failover to a third member —
 * computes its set from what is DELETING or condemned then: what the first successor finished deleting is
 * COLLECTED and is not in it. Core level, one monotonic clock for all instances (S10's assumption), journal kept by
 * the test as in OrphanPredecessorReviewTest.
 */
class InheritedWindowReviewTest {

    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(60_000L);
    private static final long BATCH_DEADLINE = 30_000L;

    private long now = 1_700_000_000_000L;
    private final TestJournal journal = new TestJournal(SETTINGS);
    private final Set<BlobHash> store = new HashSet<>();

    /** The successor restarts in place (restartWithBackoff: the same Coordinator and CoordinatorCore object). */
    @Test
    void aRestartOfTheSuccessorWithinThePredecessorsDeadlineStillRefusesTheReUpload() {
        scenario(true);
    }

    /** The successor fails over to a third member: a new object, which knows only the journal. */
    @Test
    void aFailoverToAThirdMemberWithinThePredecessorsDeadlineStillRefusesTheReUpload() {
        scenario(false);
    }

    /** The same, the third instance recovering from a snapshot of the successor's ledger. */
    @Test
    void aFailoverFromASnapshotWithinThePredecessorsDeadlineStillRefusesTheReUpload() {
        fromSnapshot = true;
        scenario(false);
    }

    private boolean fromSnapshot;

    /**
     * Once the third instance's window is over it writes so (PredecessorsDone): a fourth instance that takes over then
     * takes the re-upload at once — what was deleted for the first is forgotten, not refused after every takeover.
     */
    @Test
    void theEndOfAWindowIsWrittenAndLaterTakeoversNoLongerWaitForTheFirstPredecessor() {
        After a = scenario(false);
        assertEquals(List.of(), a.third().windowOver(a.ledger(), a.mono(), now).events(), "nothing while the window lasts");
        long over = a.mono() + 2 * BATCH_DEADLINE;
        int written = journal.events.size();
        journal.run(a.ledger(), a.third().windowOver(a.ledger(), over, now));
        assertEquals(List.of(new Coordinator.PredecessorsDone(a.instance(), now)),
                journal.events.subList(written, journal.events.size()));
        assertEquals(List.of(), a.third().windowOver(a.ledger(), over + 1, now).events(), "said once");
        assertEquals(Set.of(), a.ledger().deletedForPredecessors());

        PartitionedLedger fl = journal.recover();
        CoordinatorCore fourth = new CoordinatorCore(false);
        fourth.recovered(fl, null, over);
        journal.run(fl, fourth.takeOver("fourth", now, BATCH_DEADLINE));
        fourth.tookOver(fl, over, BATCH_DEADLINE);
        assertEquals(List.of(a.h()), journal.run(fl, fourth.register(fl, List.of(Registration.of(a.h())), store::contains, now,
                over)).accepted());
    }

    private record After(PartitionedLedger ledger, CoordinatorCore third, String instance, long mono, BlobHash h) {
    }

    private After scenario(boolean sameObject) {
        BlobHash other = BlobHash.sha256("keeps the batch in the sweeper's queue".getBytes());
        BlobHash h = BlobHash.sha256("deleted by the successor, re-uploaded".getBytes());
        store.add(other);
        store.add(h);

        // the predecessor P: both blobs registered, released, marked, handed to its (rate-limited) sweeper
        PartitionedLedger pl = new PartitionedLedger(SETTINGS);
        CoordinatorCore pred = new CoordinatorCore(false);
        long mono = 0;
        pred.recovered(pl, null, mono);
        journal.run(pl, pred.takeOver("P", now, BATCH_DEADLINE));
        journal.run(pl, pred.register(pl, List.of(Registration.of(other), Registration.of(h)), store::contains, now, mono));
        journal.run(pl, pred.report(TestJournal.full("n1", 1, List.of()), mono));
        long seq = 1;
        for (int i = 0; i < 6 && pl.status(h).orElseThrow() != BlobStatus.MARKED_FOR_COLLECTION; i++) {
            now += 61_000;
            mono += 61_000;
            journal.run(pl, pred.report(new NodeReport("n1", 1L, ++seq, NodeReport.Kind.DELTA, List.of(), List.of(), List.of(),
                    List.of(), 0, 1), mono));
            journal.run(pl, pred.cycle(pl, false, now, mono));
        }
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, pl.status(h).orElseThrow(), "precondition: marked");
        now += 1_000;
        mono += 1_000;
        journal.run(pl, pred.report(new NodeReport("n1", 1L, ++seq, NodeReport.Kind.DELTA, List.of(), List.of(), List.of(),
                List.of(), 0, 1), mono));
        SweeperCore predSweeper = new SweeperCore(1.0, 100, 1_000, Long.MAX_VALUE); // 1 deletion a second
        assertTrue(predSweeper.wake(mono * 1_000_000L));
        long deadline = (mono + BATCH_DEADLINE) * 1_000_000L;
        List<BlobHash> batch = journal.run(pl, pred.startDeletion(pl, 10, now));
        assertEquals(Set.of(other, h), Set.copyOf(batch), "precondition: both in P's batch");
        // the sweeper starts with the other one; h waits in its queue for the next token ...
        predSweeper.batch(List.of(other, h), mono * 1_000_000L, deadline); // the batch, in this order
        for (BlobHash x : predSweeper.due(mono * 1_000_000L)) {
            store.remove(x);
            predSweeper.deleted(x, 1);
        }
        assertTrue(predSweeper.pending(h), "precondition: h waits in P's sweeper");
        // ... and P's JVM pauses here

        // the successor S takes over, finishes h's deletion and confirms it; the re-upload is refused (retry)
        now += 5_000;
        mono += 5_000;
        PartitionedLedger sl = journal.recover();
        CoordinatorCore succ = new CoordinatorCore(false);
        succ.recovered(sl, null, mono);
        journal.run(sl, succ.takeOver("S", now, BATCH_DEADLINE));
        succ.tookOver(sl, mono, BATCH_DEADLINE);
        List<BlobHash> succBatch = journal.run(sl, succ.startDeletion(sl, 10, now));
        assertTrue(succBatch.contains(h));
        store.removeAll(succBatch);
        journal.run(sl, succ.confirmDeleted(succBatch, 2, now));
        assertEquals(BlobStatus.COLLECTED, sl.status(h).orElseThrow());
        store.add(h);
        assertEquals(List.of(h), journal.run(sl, succ.register(sl, List.of(Registration.of(h)), store::contains, now, mono))
                .retry(), "S refuses the re-upload for now");

        // S restarts (a journal hiccup: restartWithBackoff, same object) or fails over to a third member, well
        // within P's deadline: it recovers, takes over again
        now += 2_000;
        mono += 2_000;
        PartitionedLedger tl = fromSnapshot ? PartitionedLedger.fromSnapshot(SETTINGS, journal.recover().snapshot()) : journal.recover();
        CoordinatorCore third = sameObject ? succ : new CoordinatorCore(false);
        third.recovered(tl, null, mono);
        journal.run(tl, third.takeOver("S again", now, BATCH_DEADLINE));
        third.tookOver(tl, mono, BATCH_DEADLINE);

        // the VM's upload tries again: content first, then the registration
        now += 1_000;
        mono += 1_000;
        Registered r = journal.run(tl, third.register(tl, List.of(Registration.of(h)), store::contains, now, mono));
        // P resumes (its monotonic clock went on): its batch's deadline has not come
        mono += 1_000;
        boolean predecessorCanStillDelete = predSweeper.inTime(mono * 1_000_000L) && predSweeper.pending(h);
        assertTrue(predecessorCanStillDelete, "precondition: P's sweeper still holds h in time");
        assertEquals(List.of(h), r.retry(), "h was accepted (" + r + ") while the paused predecessor's sweeper still "
                + "holds it in time: it deletes the re-uploaded blob");
        return new After(tl, third, "S again", mono, h);
    }
}
