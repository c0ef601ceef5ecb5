package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static io.blobgc.ledger.LedgerFixture.h;
import static io.blobgc.ledger.LedgerFixture.hashes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One test per safety rule S1–S9 of design.md §3. */
class SafetyRulesTest {

    private static final long MIN = 60_000;

    /** Runs cycles with a heartbeat from each node before each, until nothing more happens. */
    private static void settle(LedgerFixture f, String... nodes) {
        for (int i = 0; i < 4; i++) {
            for (String n : nodes) f.heartbeat(n);
            f.cycle();
        }
    }

    @Test
    void s1_pinnedBlobsAreNeverMarkedAndOperatorPinsOutliveNodes() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash op = h(1), nodePinned = h(2);
        f.register(op, nodePinned);
        f.pin(op, "ops");
        f.full("n1", List.of(), List.of(op, nodePinned));
        f.full("n2");
        settle(f, "n1", "n2");
        assertEquals(BlobStatus.PINNED, f.status(op));
        assertEquals(BlobStatus.PINNED, f.status(nodePinned));
        // the node drops its pins and then leaves: the operator pin stays, the node pin is gone
        f.pinDelta("n1", List.of(), List.of(op, nodePinned));
        f.ledger.memberRemoved("n1", f.now);
        settle(f, "n2");
        assertEquals(BlobStatus.PINNED, f.status(op));
        assertEquals(List.of("ops"), f.ledger.info(op).orElseThrow().pins().stream().map(Pin::owner).toList());
        assertTrue(Set.of(BlobStatus.UNREFERENCED, BlobStatus.MARKED_FOR_COLLECTION).contains(f.status(nodePinned)));
    }

    @Test
    void s2_referencedBlobIsNeverMarkedAndAMarkedOneIsRescued() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1), callee = h(2);
        f.registerWithDeps(x, callee);
        f.full("n1");
        f.cycle();
        f.heartbeat("n1");
        assertEquals(Set.of(x, callee), Set.copyOf(hashes(f.cycle().marked())));
        // a node references x again before the sweeper took it: collection cancelled, for x and its callee
        f.delta("n1", List.of(x), List.of());
        CycleOutcome o = f.cycle();
        assertEquals(Set.of(x, callee), Set.copyOf(o.rescued()));
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        assertEquals(BlobStatus.ACTIVE, f.status(callee));
        settle(f, "n1");
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        assertTrue(f.startDeletion().isEmpty());
    }

    @Test
    void s3_blobIsMarkedOnlyWhenEveryLiveNodeConfirmedItAbsentAfterGrace() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(5 * MIN));
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.full("n2");
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.advance(6 * MIN);
        f.heartbeat("n1"); // n2 says nothing after x became unreferenced
        assertTrue(f.cycle().marked().isEmpty(), "n2 has not confirmed x absent");
        f.heartbeat("n2");
        CycleOutcome o = f.cycle();
        assertEquals(List.of(x), hashes(o.marked()));
        assertEquals(List.of("n1", "n2"), o.confirmedBy());
    }

    @Test
    void s4_staleNodeKeepsProtectingUntilMembershipRemovesIt() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(MIN).withStaleThresholdMs(3 * MIN));
        BlobHash held = h(1), free = h(2);
        f.register(held, free);
        f.full("n1");
        f.full("n2", held);
        f.cycle();
        f.advance(4 * MIN); // n2 is silent from now on
        f.heartbeat("n1");
        CycleOutcome o = f.cycle();
        assertEquals(List.of("n2"), o.staleNodes());
        assertEquals(List.of(free), hashes(o.marked()), "the stale node is left out of the confirmation");
        assertEquals(BlobStatus.ACTIVE, f.status(held), "its last view still protects what it holds");
        f.ledger.memberRemoved("n2", f.now);
        f.heartbeat("n1");
        assertEquals(List.of(held), f.cycle().unreferenced());
        f.advance(2 * MIN);
        f.heartbeat("n1");
        assertEquals(List.of(held), hashes(f.cycle().marked()));
    }

    @Test
    void s5_afterRecoveryNothingIsMarkedUntilEveryMemberDeliveredAFullReport() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1), y = h(2);
        f.register(x, y);
        f.full("n1");
        f.full("n2", x);
        f.cycle();
        f.heartbeat("n1");
        f.heartbeat("n2");
        f.cycle();
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(y));
        // failover: the new coordinator has the journal's state, no views
        Ledger recovered = Ledger.fromSnapshot(f.ledger.settings(), f.ledger.snapshot());
        recovered.beginWarmUp(List.of("n1", "n2"), f.now);
        recovered.report(NodeReport.full("n1", 1, 10, List.of(), List.of()), f.now);
        CycleOutcome o = recovered.planCycle(f.now, false);
        recovered.applyCycle(o);
        assertTrue(o.warmingUp());
        assertTrue(o.unreferenced().isEmpty(), "x must not look unreferenced before n2 reported");
        assertTrue(recovered.planDeletion(10).isEmpty());
        assertEquals(List.of("n2"), recovered.warmUpBlockers());
        recovered.report(NodeReport.full("n2", 1, 10, List.of(x), List.of()), f.now);
        assertFalse(recovered.warmingUp());
        assertEquals(List.of(y), recovered.planDeletion(10));
        recovered.applyCycle(recovered.planCycle(f.now, false));
        assertEquals(BlobStatus.ACTIVE, recovered.status(x).orElseThrow());
    }

    @Test
    void s6_deletionIsFencedByTheDeletingState() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1), y = h(2);
        f.register(x, y);
        f.full("n1");
        f.cycle();
        f.heartbeat("n1");
        f.cycle();
        f.heartbeat("n1");
        // x is marked; n2 acquires it before the sweeper asks: recorded at once, x cannot go to DELETING
        assertEquals(AcquireOutcome.ACQUIRED, f.ledger.acquire("n2", 1, 0, x, f.now));
        f.full("n2", x);
        assertEquals(List.of(y), f.startDeletion());
        assertEquals(BlobStatus.DELETING, f.status(y));
        // y is fenced: nobody can acquire it, a registration is refused, an operator pin too
        assertEquals(AcquireOutcome.GONE, f.ledger.acquire("n2", 1, 0, y, f.now));
        assertEquals(List.of(y), f.ledger.checkRegister(List.of(y)));
        assertTrue(f.ledger.checkPin(y).isPresent());
        f.collect(List.of(y));
        assertEquals(AcquireOutcome.GONE, f.ledger.acquire("n2", 1, 0, y, f.now));
        assertEquals(List.of(x), f.cycle().rescued());
    }

    @Test
    void s7_belowQuorumNoStatusChangesAndNoGraceClockRuns() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(5 * MIN)
                .withStaleThresholdMs(2 * MIN).withMinNodesReporting(2));
        BlobHash x = h(1), y = h(2);
        f.register(x, y);
        f.full("n1", y);
        f.full("n2");
        assertEquals(List.of(x), f.cycle().unreferenced());
        // n2 goes silent: below quorum for 10 minutes
        for (int i = 0; i < 10; i++) {
            f.advance(MIN);
            f.heartbeat("n1");
            if (i == 5) f.delta("n1", List.of(), List.of(y)); // y loses its last reference while frozen
            CycleOutcome o = f.cycle();
            if (i >= 2) {
                assertTrue(o.frozen());
                assertTrue(o.unreferenced().isEmpty() && o.marked().isEmpty());
            }
        }
        assertEquals(BlobStatus.ACTIVE, f.status(y));
        f.heartbeat("n2");
        f.heartbeat("n1");
        assertEquals(List.of(y), f.cycle().unreferenced());
        f.heartbeat("n1");
        f.heartbeat("n2");
        assertTrue(f.cycle().marked().isEmpty(), "x's grace restarts when quorum returns");
        f.advance(5 * MIN);
        f.heartbeat("n1");
        f.heartbeat("n2");
        assertEquals(Set.of(x, y), Set.copyOf(hashes(f.cycle().marked())));
    }

    @Test
    void s8_anOlderOrDuplicateReportNeverOverwritesANewerView() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        NodeReport older = NodeReport.full("n1", 1, 1, List.of(), List.of());
        NodeReport newer = NodeReport.full("n1", 1, 2, List.of(x), List.of());
        assertEquals(ReportOutcome.APPLIED, f.ledger.report(newer, f.now));
        assertEquals(ReportOutcome.DUPLICATE_OR_OLD, f.ledger.report(older, f.now));
        assertEquals(ReportOutcome.DUPLICATE_OR_OLD, f.ledger.report(newer, f.now));
        NodeReport oldIncarnation = NodeReport.full("n1", 0, 99, List.of(), List.of());
        assertEquals(ReportOutcome.DUPLICATE_OR_OLD, f.ledger.report(oldIncarnation, f.now));
        assertEquals(List.of("n1"), f.ledger.info(x).orElseThrow().referencedBy());
        f.cycle();
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        assertEquals(3L, f.ledger.reportOutcomes().get(ReportOutcome.DUPLICATE_OR_OLD));
    }

    @Test
    void s9_dryRunRecordsWhatWouldBeCollectedAndDeletesNothing() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.cycle();
        f.heartbeat("n1");
        CycleOutcome dry = f.dryCycle();
        assertEquals(List.of(x), hashes(dry.marked()));
        assertEquals(BlobStatus.UNREFERENCED, f.status(x));
        HistoryEntry e = f.ledger.history(1).get(0);
        assertTrue(e.dryRun());
        assertEquals(List.of(x), hashes(e.marked()));
        f.heartbeat("n1");
        assertTrue(f.startDeletion().isEmpty());
    }
}
