package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Second review of S10 after bdb6118 (review-s10b). Core and ledger level, one monotonic clock ({@code mono}, ms) for
 * every instance (S10's assumption), the journal kept by the test, as in {@link GenerationReHandReviewTest}.
 *
 * <ol>
 * <li>Restart in place (restartWithBackoff after a journal failure) keeps the Coordinator's actor ref: the sweeper
 * of the incarnation before the restart is stopped only after the message it is handling, and its late
 * {@code ConfirmDeleted} was taken by the new incarnation while the new sweeper held the same hash again. Now every
 * sweeper message names its sweeper and the coordinator drops what is not from its current one (an actor's matter:
 * {@code CoordinatorTest.messagesFromASweeperThatIsNotTheCurrentOneChangeNothing}).</li>
 * <li>A snapshot written by the code before f80ff3a ({@code predecessors == null}) after a successor had deleted a
 * predecessor's hash: recovery from it forgets that deletion, while a replay of the same (kept) journal remembers it —
 * the two disagree on what is refused, and the snapshot's is unsafe.</li>
 * <li>A snapshot written by f80ff3a (its {@code handedOut} holds the FIRST generation that handed a hash out, no
 * writers) is restored as if that were the LATEST: the defect bdb6118 fixed (a re-hand after PredecessorsDone) comes
 * back through such a snapshot.</li>
 * </ol>
 */
class S10SecondReviewTest {

    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(60_000L);
    private static final long BATCH_DEADLINE = 30_000L;
    private static final long ORPHAN_GRACE = 3_600_000L;

    private long now = 1_700_000_000_000L;
    private long mono;
    private final TestJournal journal = new TestJournal(SETTINGS);
    private final Set<BlobHash> store = new HashSet<>();

    /** {@code s} as an older code wrote it: everything the same but {@code predecessors}. */
    private static LedgerSnapshot withPredecessors(LedgerSnapshot s, LedgerSnapshot.PredecessorState p) {
        return new LedgerSnapshot(s.cycle(), s.graceResetAt(), s.frozen(), s.totalCollected(), s.totalCollectedBytes(),
                s.totalFailedDeletions(), s.blobCount(), s.blobs(), s.extras(), s.history(), s.orphans(), p,
                s.partitions());
    }

    // =================================================================================================================
    // 2. A snapshot written before f80ff3a (predecessors == null), after a successor deleted a predecessor's hash
    // =================================================================================================================

    /**
     * Code before f80ff3a: A hands blob h to its sweeper and pauses; B takes over, hands h out, deletes it and
     * confirms; a snapshot is written (no {@code predecessors}); B fails; C — the current code — takes over within
     * A's deadline. Recovered by a replay of the journal (events are kept: delete-events-on-snapshot = off), C
     * remembers that B deleted h for A and refuses its new content for its window; recovered from the snapshot (what
     * Pekko does) it must too: the snapshot's recovery counts what was collected as possibly deleted for a predecessor.
     * (An orphan deleted before such a snapshot left no trace in it: design.md says so.)
     */
    @Test
    void aSnapshotWrittenBeforeGenerationsAgreesWithAReplayOnADeletionForAPredecessor() {
        BlobHash h = BlobHash.sha256("a blob A handed out, B deleted for it, before the upgrade".getBytes());
        store.add(h);
        PartitionedLedger al = new PartitionedLedger(SETTINGS);
        CoordinatorCore a = new CoordinatorCore(false);
        a.recovered(al, null, mono);
        journal.run(al, a.takeOver("A", now, BATCH_DEADLINE));
        journal.run(al, a.register(al, List.of(Registration.of(h)), store::contains, now, mono));
        journal.run(al, a.report(TestJournal.full("n1", 1, List.of()), mono));
        long seq = 1;
        for (int i = 0; i < 6 && al.status(h).orElseThrow() != BlobStatus.MARKED_FOR_COLLECTION; i++) {
            now += 61_000;
            mono += 61_000;
            journal.run(al, a.report(TestJournal.heartbeat("n1", ++seq), mono));
            journal.run(al, a.cycle(al, false, now, mono));
        }
        now += 1_000;
        mono += 1_000;
        journal.run(al, a.report(TestJournal.heartbeat("n1", ++seq), mono));
        assertEquals(List.of(h), journal.run(al, a.startDeletion(al, 10, now)), "precondition: A hands h out");
        long handedOutAt = mono;
        SweeperCore aSweeper = new SweeperCore(1.0, 100, 1_000, Long.MAX_VALUE);
        assertTrue(aSweeper.wake(mono * 1_000_000L));
        aSweeper.batch(List.of(h), mono * 1_000_000L, (mono + BATCH_DEADLINE) * 1_000_000L); // A pauses here

        now += 5_000;
        mono += 5_000;
        PartitionedLedger bl = journal.recover();
        CoordinatorCore b = new CoordinatorCore(false);
        b.recovered(bl, null, mono);
        journal.run(bl, b.takeOver("B", now, BATCH_DEADLINE));
        List<BlobHash> batch = journal.run(bl, b.startDeletion(bl, 10, now));
        assertEquals(List.of(h), batch);
        store.remove(h);
        journal.run(bl, b.confirmDeleted(batch, 1, now));
        // the journal as the code before f80ff3a wrote it: TookOver(instance, at), no deadline
        List<Coordinator.Event> oldCode = journal.events.stream().map(e -> e instanceof Coordinator.TookOver t
                ? new Coordinator.TookOver(t.instance(), t.at(), 0, 0) : e).toList();

        PartitionedLedger replayed = TestJournal.replay(SETTINGS, oldCode);
        PartitionedLedger fromSnapshot = PartitionedLedger.fromSnapshot(SETTINGS, withPredecessors(TestJournal.replay(SETTINGS, oldCode).snapshot(), null));

        // C (the current code) takes over 10 s after A's batch, either way, and a VM re-uploads h a second later
        mono = handedOutAt + 10_000;
        store.add(h);
        Registered byReplay = takeOverAndRegister(replayed, h);
        Registered bySnapshot = takeOverAndRegister(fromSnapshot, h);
        assertTrue(aSweeper.inTime(mono * 1_000_000L) && aSweeper.pending(h),
                "precondition: A's sweeper still holds h in time");
        assertEquals(List.of(h), byReplay.retry(), "precondition: recovered by a replay, C refuses h");
        assertEquals(List.of(h), bySnapshot.retry(), "recovered from the snapshot written before f80ff3a, C took h's "
                + "new content (" + bySnapshot + ") while A's sweeper still holds it in time — a replay of the same "
                + "journal refuses it (replay: deletedForPredecessors = " + replayed.deletedForPredecessors()
                + ", snapshot: " + fromSnapshot.deletedForPredecessors() + ")");
    }

    private Registered takeOverAndRegister(PartitionedLedger l, BlobHash h) {
        CoordinatorCore c = new CoordinatorCore(false);
        c.recovered(l, null, mono);
        TestJournal.runAlone(l, c.takeOver("C", now, BATCH_DEADLINE));
        c.tookOver(l, mono, BATCH_DEADLINE);
        return TestJournal.runAlone(l, c.register(l, List.of(Registration.of(h)), store::contains, now + 1_000, mono + 1_000));
    }

    // =================================================================================================================
    // 3. A snapshot written by f80ff3a (first-generation bookkeeping, no writers)
    // =================================================================================================================

    /**
     * f80ff3a's history of GenerationReHandReviewTest: P (generation 1) hands orphan h out; S (2) takes over, hands it
     * out, its deletion fails; S's window ends, it writes PredecessorsDone; S hands h out again and pauses holding it.
     * f80ff3a writes a snapshot there: {@code doneBelow} 2, h handed out by generation 1 (the FIRST: putIfAbsent),
     * no writers. T — the current code — recovers from it, takes over, deletes h and confirms: "deleted for generation
     * 1", which is done, so nothing is remembered, and a fourth instance (T restarting in place, or a failover) within
     * S's deadline takes h's new content while S's sweeper holds it in time. The current code, for the same history,
     * remembers it.
     */
    @Test
    void aSnapshotWrittenByF80ff3aKeepsAReHandersDeletion() {
        BlobHash h = BlobHash.sha256("an orphan re-handed after PredecessorsDone, snapshot by f80ff3a".getBytes());
        long t0 = now;
        // the history as the current code writes it (the reference)
        List<Coordinator.Event> history = List.of(
                new Coordinator.TookOver("P", t0, BATCH_DEADLINE, 1),
                new Coordinator.OrphansCondemned(List.of(h), null, t0),
                new Coordinator.DeletionStarted(List.of(h), t0),             // generation 1 hands h out
                new Coordinator.TookOver("S", t0 + 5_000, BATCH_DEADLINE, 1),
                new Coordinator.DeletionStarted(List.of(h), t0 + 5_000),     // generation 2 hands it out, fails
                new Coordinator.DeletionFailed(h, "java.io.IOException: store unavailable", t0 + 5_000),
                new Coordinator.PredecessorsDone("S", t0 + 65_000),          // true: P is dead
                new Coordinator.DeletionStarted(List.of(h), t0 + 66_000));   // S hands h out again, and pauses
        PartitionedLedger current = TestJournal.replay(SETTINGS, history);
        // the same state as f80ff3a snapshotted it: PredecessorState(generation, doneBelow, handedOut, deleted) with
        // handedOut = {h: 1} (f80ff3a's putIfAbsent: the first generation), read by the current code: no writers,
        // "before" absent (0)
        LedgerSnapshot.PredecessorState f80ff3a = new LedgerSnapshot.PredecessorState(2, 2, null,
                List.of(new LedgerSnapshot.HandedOut(h, 1, 0)), List.of());
        PartitionedLedger fromF80ff3a = PartitionedLedger.fromSnapshot(SETTINGS, withPredecessors(current.snapshot(), f80ff3a));
        // S's sweeper holds h from mono 66 s on (its batch's deadline: 96 s)
        SweeperCore sSweeper = new SweeperCore(1.0, 100, 1_000, Long.MAX_VALUE);
        assertTrue(sSweeper.wake(66_000 * 1_000_000L));
        sSweeper.batch(List.of(h), 66_000 * 1_000_000L, (66_000 + BATCH_DEADLINE) * 1_000_000L);

        // T (generation 3, the current code) takes over, hands h out, deletes it and confirms it — either way
        List<Coordinator.Event> byT = List.of(
                new Coordinator.TookOver("T", t0 + 71_000, BATCH_DEADLINE, 1),
                new Coordinator.DeletionStarted(List.of(h), t0 + 71_000),
                new Coordinator.BlobsCollected(List.of(h), t0 + 72_000, 1));
        for (Coordinator.Event e : byT) {
            CoordinatorCore.apply(current, e);
            CoordinatorCore.apply(fromF80ff3a, e);
        }
        assertEquals(Set.of(h), current.deletedForPredecessors(), "precondition: the current code remembers that T "
                + "deleted h for S");

        // U: T restarts in place (or fails over) 2 s later; a VM re-uploads h a second after that
        mono = 75_000;
        now = t0 + 75_000;
        store.add(h);
        Registered r = takeOverAndRegister(fromF80ff3a, h);
        assertTrue(sSweeper.inTime((mono + 1_000) * 1_000_000L) && sSweeper.pending(h),
                "precondition: S's sweeper still holds h in time");
        assertEquals(List.of(h), r.retry(), "recovered from f80ff3a's snapshot, h took new content (" + r + ") while "
                + "S's sweeper still holds it in time: the snapshot's first-generation entry was read as the latest, "
                + "so T's deletion counted as generation 1's, which is done (deletedForPredecessors = "
                + fromF80ff3a.deletedForPredecessors() + ", the current code's: " + current.deletedForPredecessors()
                + ")");
    }
}
