package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static io.blobgc.ledger.LedgerFixture.h;
import static io.blobgc.ledger.LedgerFixture.hashes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One test per defect of the original (design.md, appendix): each shows that we do not repeat it. */
class SeedDefectsTest {

    private static final long MIN = 60_000;

    @Test
    void d1_nodePinDroppedByTheNodeDoesNotPinForever() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.full("n1", List.of(), List.of(x));
        f.cycle();
        assertEquals(BlobStatus.PINNED, f.status(x));
        assertTrue(f.ledger.info(x).orElseThrow().pins().isEmpty(), "a node pin is not an operator pin");
        f.pinDelta("n1", List.of(), List.of(x));
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.heartbeat("n1");
        assertEquals(List.of(x), hashes(f.cycle().marked()));
    }

    @Test
    void d2_aMarkedBlobIsRecordedOnceAndItsDeletionConfirmed() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        for (int i = 0; i < 6; i++) {
            f.heartbeat("n1");
            f.cycle();
        }
        long cyclesMarkingX = f.ledger.history(100).stream().filter(e -> hashes(e.marked()).contains(x)).count();
        assertEquals(1, cyclesMarkingX);
        assertEquals(List.of(x), f.startDeletion());
        f.collect(List.of(x));
        assertEquals(BlobStatus.COLLECTED, f.status(x));
        assertEquals(1, f.ledger.totalCollected());
        f.heartbeat("n1");
        f.cycle();
        assertTrue(f.startDeletion().isEmpty(), "a collected blob is not handed to the sweeper again");
    }

    @Test
    void d3_aReuploadedMarkedBlobGetsAFreshGrace() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(5 * MIN));
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.cycle();
        f.advance(6 * MIN);
        f.heartbeat("n1");
        f.cycle();
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(x));
        f.register(x); // uploaded again
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        f.heartbeat("n1");
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.heartbeat("n1");
        assertTrue(f.cycle().marked().isEmpty());
        assertTrue(f.startDeletion().isEmpty());
        f.advance(5 * MIN);
        f.heartbeat("n1");
        assertEquals(List.of(x), hashes(f.cycle().marked()));
    }

    /**
     * The original silently ignored hashes it did not know. A report here never registers one either (a node may
     * list a hash whose content is gone: registering it would answer "held" for missing content, issue 8 defect
     * 4) — but it is counted, visible on the summary and in metrics, and an uploaded blob is collectable.
     */
    @Test
    void d4_hashesReportedButNeverRegisteredAreCountedAndUploadedOnesCanBeCollected() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(7);
        f.ledger.report(NodeReport.full("n1", 1, f.nextSeq("n1"), List.of(x), List.of()), f.now);
        assertTrue(f.ledger.status(x).isEmpty());
        assertEquals(1, f.ledger.reportedUnknown());
        f.register(x);
        f.ledger.report(NodeReport.full("n1", 1, f.nextSeq("n1"), List.of(x), List.of()), f.now);
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        f.delta("n1", List.of(), List.of(x));
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.heartbeat("n1");
        assertEquals(List.of(x), hashes(f.cycle().marked()));
    }

    @Test
    void d5_graceShorterThanStaleThresholdDoesNotDeleteABlobALiveNodeStartedUsing() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS); // grace 5 min < stale 10 min
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.full("n2");
        f.cycle();
        // n2 started using x right after its last report; it reports every 6 minutes (live, not stale)
        for (int i = 0; i < 5; i++) {
            f.advance(MIN + MIN / 5);
            f.heartbeat("n1");
            assertTrue(f.cycle().marked().isEmpty(), "n2 has not confirmed x absent");
        }
        f.delta("n2", List.of(x), List.of());
        f.cycle();
        assertEquals(BlobStatus.ACTIVE, f.status(x));
    }

    @Test
    void d6_aSlowLiveNodeKeepsItsReferencesAndOneNodeCannotDecideForAll() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(MIN).withStaleThresholdMs(10 * MIN));
        BlobHash x = h(1), y = h(2);
        f.register(x, y);
        f.full("n1");
        f.full("n2", x);
        f.cycle();
        for (int i = 0; i < 8; i++) { // n2 is slow (no report for 8 minutes), n1 is quick
            f.advance(MIN);
            f.heartbeat("n1");
            f.cycle();
        }
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        assertEquals(BlobStatus.UNREFERENCED, f.status(y), "y waits for n2's confirmation, not for n1 alone");
        f.heartbeat("n2");
        assertEquals(List.of(y), hashes(f.cycle().marked()));
    }

    @Test
    void d7_belowQuorumNothingIsPrunedAndNoMassEligibilityWhenQuorumReturns() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(5 * MIN)
                .withStaleThresholdMs(2 * MIN).withMinNodesReporting(2));
        BlobHash a = h(1), b = h(2), c = h(3);
        f.register(a, b, c);
        f.full("n1");
        f.full("n2", b);
        f.cycle();
        for (int i = 0; i < 30; i++) { // both nodes silent for 30 minutes
            f.advance(MIN);
            CycleOutcome o = f.cycle();
            if (i >= 2) assertTrue(o.frozen());
        }
        assertEquals(BlobStatus.ACTIVE, f.status(b), "n2's references were not pruned while below quorum");
        f.heartbeat("n1");
        f.heartbeat("n2");
        CycleOutcome back = f.cycle();
        assertTrue(back.marked().isEmpty(), "quorum returning does not make everything eligible at once");
        assertNotEquals(0, back.graceResetAt());
    }

    @Test
    void d8_aLateOlderReportDoesNotOverwriteANewerOne() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        NodeReport first = NodeReport.full("n1", 1, 1, List.of(), List.of());
        NodeReport second = NodeReport.delta("n1", 1, 2, List.of(x), List.of(), List.of(), List.of());
        f.ledger.report(first, f.now);
        f.ledger.report(second, f.now);
        f.advance(1000);
        assertEquals(ReportOutcome.DUPLICATE_OR_OLD, f.ledger.report(first, f.now));
        f.cycle();
        f.cycle();
        assertEquals(BlobStatus.ACTIVE, f.status(x));
    }

    @Test
    void d9_unreferencedSinceIsWallClockAndSurvivesARestart() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(5 * MIN));
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.cycle();
        long since = f.ledger.info(x).orElseThrow().unreferencedSince();
        assertEquals(f.now, since);
        Ledger restarted = Ledger.fromSnapshot(f.ledger.settings(), f.ledger.snapshot());
        assertEquals(since, restarted.info(x).orElseThrow().unreferencedSince());
        restarted.beginWarmUp(null, f.now);
        f.advance(5 * MIN);
        restarted.report(NodeReport.full("n1", 2, 1, List.of(), List.of()), f.now);
        CycleOutcome o = restarted.planCycle(f.now, false);
        assertEquals(List.of(x), hashes(o.marked()), "the grace counted from the persisted time, across the restart");
        assertEquals(since, o.marked().get(0).unreferencedSince());
    }

    @Test
    void d10_decideThenDeleteIsFenced() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.cycle();
        f.heartbeat("n1");
        f.cycle();
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(x));
        // decided, but not yet handed over: no node has reported since the mark, so the sweeper gets nothing
        assertTrue(f.startDeletion().isEmpty());
        // a node takes it in between: the re-check at the hand-over refuses it
        f.delta("n1", List.of(x), List.of());
        assertTrue(f.startDeletion().isEmpty());
        f.delta("n1", List.of(), List.of(x));
        f.heartbeat("n1");
        assertTrue(f.startDeletion().isEmpty(), "used since the last cycle: its grace starts again first");
        f.cycle();
        f.heartbeat("n1");
        f.cycle();
        f.heartbeat("n1");
        assertEquals(List.of(x), f.startDeletion());
        assertEquals(AcquireOutcome.GONE, f.ledger.acquire("n1", 1, 99, x, f.now));
    }

    @Test
    void d11_dependenciesKeepTheirCalleesAlive() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash main = h(1), lib = h(2), util = h(3), unrelated = h(4);
        f.registerWithDeps(main, lib);
        f.registerWithDeps(lib, util);
        f.register(unrelated);
        f.full("n1", main);
        for (int i = 0; i < 3; i++) {
            f.heartbeat("n1");
            f.cycle();
        }
        assertEquals(List.of(BlobStatus.ACTIVE, BlobStatus.ACTIVE, BlobStatus.ACTIVE),
                List.of(f.status(main), f.status(lib), f.status(util)));
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(unrelated));
        f.delta("n1", List.of(), List.of(main));
        f.cycle();
        f.heartbeat("n1");
        assertEquals(Set.of(main, lib, util), Set.copyOf(hashes(f.cycle().marked())));
    }
}
