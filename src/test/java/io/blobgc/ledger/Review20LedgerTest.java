package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.blobgc.ledger.LedgerFixture.h;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Review 20: the rules, attacked at the ledger level. */
class Review20LedgerTest {

    private static final long GRACE = 60_000;

    /**
     * S2/S3: z becomes reachable from a held blob (p -> y -> z) after its grace started, and the use ends before the
     * next cycle: the cycle must restart z's grace, not mark it. The markClosure walk for p's second hold stops at p
     * (closureUsed holds it from p's first hold in the same window), although the edge y -> z was added since by a
     * caller that was not in use at that moment (so neither the edge nor the coordinator's BlobsUsed marked z).
     */
    @Test
    void aCalleeReachedThroughAnEdgeAddedBetweenTwoHoldsOfItsAncestorHasItsGraceRestarted() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(GRACE));
        BlobHash p = h(1), y = h(2), z = h(3);
        f.full("n1");
        f.register(p, y, z);
        f.registerWithDeps(p, y);
        f.heartbeat("n1");
        f.cycle(); // p, y, z: UNREFERENCED since t0
        assertEquals(BlobStatus.UNREFERENCED, f.status(z));
        f.heartbeat("n1");
        f.advance(10_000);
        // one window between two cycles
        f.delta("n1", List.of(p), List.of()); // p held: p and y used
        f.delta("n1", List.of(), List.of(p)); // released
        assertFalse(f.ledger.isProtected(y));
        // the edge y -> z, decided and applied as the coordinator does (y is neither held nor ACTIVE/PINNED now)
        var d = new io.blobgc.coordinator.CoordinatorCore(false).register(PartitionedLedger.of(f.ledger),
                List.of(new Registration(y, List.of(z))), x -> true, f.now);
        for (var e : d.events()) {
            if (e instanceof io.blobgc.coordinator.Coordinator.BlobsRegistered r) f.ledger.applyRegistered(r.registrations());
            if (e instanceof io.blobgc.coordinator.Coordinator.BlobsUsed u) f.ledger.applyUsed(u.hashes());
        }
        assertEquals(List.of(y), d.reply().apply(PartitionedLedger.of(f.ledger)).accepted());
        f.delta("n1", List.of(p), List.of()); // p held again: z is in use now (p -> y -> z)
        assertTrue(f.ledger.isProtected(z), "z is reachable from the held p");
        f.delta("n1", List.of(), List.of(p)); // the use ends before the next cycle
        f.advance(GRACE); // t0 + grace + 10 s: z's grace counted from t0 is over, but z was in use 0 s ago
        f.heartbeat("n1");
        CycleOutcome o = f.cycle();
        assertFalse(LedgerFixture.hashes(o.marked()).contains(z),
                "z was in use (reachable from held p) after its since, yet the cycle marked it: "
                        + LedgerFixture.hashes(o.marked()) + "; unreferenced anew: " + o.unreferenced());
        assertTrue(o.unreferenced().contains(z), "z's grace restarts: " + o.unreferenced());
    }

    /**
     * S3 across a snapshot: an operator pin on dep protects its callee e (UNREFERENCED since t0) and is removed
     * before the next cycle. A coordinator that ran on restarts e's grace (the pin's holdChanged put e in
     * usedSinceCycle); one that recovered from a snapshot taken between the pin and the unpin does not (the snapshot
     * restores the pin without marking its closure, and beginWarmUp dirties only ACTIVE/PINNED blobs), and marks e.
     */
    @Test
    void aCalleeProtectedByAnOperatorPinHasItsGraceRestartedAlsoAfterASnapshotRecovery() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(GRACE));
        BlobHash dep = h(1), e = h(2);
        f.full("n1");
        f.register(dep, e);
        f.registerWithDeps(dep, e);
        f.heartbeat("n1");
        f.cycle(); // dep, e: UNREFERENCED since t0
        f.heartbeat("n1");
        f.advance(10_000);
        f.pin(dep, "op"); // e is in use from here on (reachable from the pinned dep)
        Ledger recovered = Ledger.fromSnapshot(f.ledger.settings(), f.ledger.snapshot());
        recovered.beginWarmUp(List.of("n1"), f.now);
        recovered.report(NodeReport.full("n1", 2, 1, List.of(), List.of()), f.now);
        recovered.applyUnpinned(dep, "op");
        f.unpin(dep, "op");
        f.advance(GRACE);
        f.heartbeat("n1");
        recovered.report(NodeReport.delta("n1", 2, 2, List.of(), List.of(), List.of(), List.of()), f.now);
        CycleOutcome live = f.cycle();
        assertFalse(LedgerFixture.hashes(live.marked()).contains(e), "the live ledger restarts e's grace");
        CycleOutcome afterRecovery = recovered.planCycle(f.now, false);
        assertFalse(LedgerFixture.hashes(afterRecovery.marked()).contains(e),
                "after a snapshot recovery e is marked although the pin on dep protected it 0 s ago: marked "
                        + LedgerFixture.hashes(afterRecovery.marked()) + ", unreferenced anew "
                        + afterRecovery.unreferenced() + " (the live ledger: marked " + LedgerFixture.hashes(live.marked())
                        + ", unreferenced anew " + live.unreferenced() + ")");
    }
}
