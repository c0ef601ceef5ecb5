package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.blobgc.ledger.LedgerFixture.h;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reservations (partitions.md §3, phase 2; partitions-part2-plan S1.7, §5 item 3): a registration of x (partition A,
 * 0) over c (partition B, 1) reserves c in A, walks {@code Protect(c)} to B, persists, then releases. Between B's
 * {@code Protected} and the persist, A's exports must list c: built after the ask, an export without c would drop the
 * sticky, and B would mark and delete c under a registration about to be accepted (S11). Two hosted ledgers, P = 2,
 * wired by hand: A's exports delivered to B, the {@code Protect}s answered by B; node m's reports reach both
 * ({@link InstantPartitions}, for the node reports only), so B confirms absence and would otherwise delete c.
 */
class ReservationTest {

    private static final Partitioning P2 = Partitioning.of(2);
    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(0);
    private static final BlobHash X = in(0, 1), X2 = in(0, 2), D = in(0, 3), C = in(1, 1), E = in(1, 2);

    private final PartitionedLedger a = PartitionedLedger.hosting(SETTINGS, 64, P2, 0);
    private final PartitionedLedger b = PartitionedLedger.hosting(SETTINGS, 64, P2, 1);
    /** The node reports, to both hosts at once, fenced. */
    private final InstantPartitions net = new InstantPartitions(P2, new PartitionedLedger[]{a, b});
    private long now = 1_700_000_000_000L;
    private long ms, ns;

    private static BlobHash in(int p, int i) {
        BlobHash hash = h(p == 0 ? i : 0x80 + i);
        assertEquals(p, P2.partitionOf(hash));
        return hash;
    }

    ReservationTest() {
        b.applyRegistered(List.of(Registration.of(C), Registration.of(E)));
        for (PartitionedLedger l : List.of(a, b)) {
            l.memberUp("m", now);
            l.memberUp("n", now);
        }
        net.report(NodeReport.full("m", 1, ++ms, List.of(), List.of()), now);
        net.report(NodeReport.full("n", 1, ++ns, List.of(), List.of()), now);
        flushA();
    }

    /** A flushes; its report to B is delivered at once and applied. */
    private NodeReport flushA() {
        List<PartitionedLedger.Export> out = a.flushExports(0, now);
        assertEquals(1, out.size());
        assertEquals(ReportOutcome.APPLIED, b.deliverExport(out.get(0), now));
        return out.get(0).report();
    }

    /** A flushes (delivered to B), both nodes heartbeat, and B runs a cycle: what it would need to confirm c absent. */
    private CycleOutcome roundInB() {
        now += 1_000;
        flushA();
        net.report(NodeReport.delta("m", 1, ++ms, List.of(), List.of(), List.of(), List.of()), now);
        net.report(NodeReport.delta("n", 1, ++ns, List.of(), List.of(), List.of(), List.of()), now);
        List<CycleOutcome> o = b.planCycle(now, now, false);
        b.applyCycle(o);
        return o.get(0);
    }

    /** The reservation's walk, every ask answered by B at once (used: whether the caller is in use). */
    private FenceWalk protect(PartitionedLedger.Reservation r, boolean used) {
        FenceWalk walk = new FenceWalk();
        List<FenceWalk.ProtectAsk> todo = new ArrayList<>();
        for (PartitionedLedger.FenceStart s : r.starts()) todo.addAll(walk.start(s.root(), s.frontier()));
        while (!todo.isEmpty()) {
            FenceWalk.ProtectAsk ask = todo.remove(0);
            assertEquals(1, ask.to());
            todo.addAll(walk.answered(1, b.protect(ask, used, now)));
        }
        assertTrue(walk.done());
        return walk;
    }

    private Set<BlobHash> exportedToB() {
        return a.partition(0).exportedTo(1);
    }

    /** B neither marks c nor hands it to the sweeper over a few rounds (enough to do both were c unprotected). */
    private void cSurvives(String why) {
        for (int i = 0; i < 4; i++) {
            CycleOutcome o = roundInB();
            assertFalse(LedgerFixture.hashes(o.marked()).contains(C), why + ": c marked in round " + i);
            assertFalse(b.planDeletion(100).contains(C), why + ": c handed to the sweeper in round " + i);
        }
        assertEquals(Optional.of(BlobStatus.ACTIVE), b.status(C), why);
        assertTrue(b.isProtected(C), why);
    }

    /** B marks c and hands it to the sweeper within a few rounds: nothing protects it. */
    private void cGoes(String why) {
        for (int i = 0; i < 6 && !b.planDeletion(100).contains(C); i++) roundInB();
        assertEquals(Optional.of(BlobStatus.MARKED_FOR_COLLECTION), b.status(C), why);
        assertTrue(b.planDeletion(100).contains(C), why);
    }

    @Test
    void anExportWhileARegistrationIsPendingListsTheReservedCalleeSoBKeepsIt() {
        Registration xc = new Registration(X, List.of(C));
        PartitionedLedger.Reservation r = a.reserve(List.of(xc), now);
        assertEquals(Map.of(0, Set.of(C)), a.remoteCallees(List.of(xc)), "A's caller reserves B's callee");
        assertEquals(1, r.starts().size());
        assertEquals(0, r.starts().get(0).root());
        FenceWalk walk = protect(r, false);
        assertTrue(walk.gone().isEmpty());
        assertTrue(walk.stale().isEmpty());
        assertTrue(b.isProtected(C), "the Protect recorded c as a sticky in A's view");

        // between Protected and the persist, A flushes (each round): each export is built after the ask and covers
        // the sticky, so only the reservation keeps c listed — else B marks c and hands it to the sweeper
        cSurvives("the registration is pending");
        assertEquals(Set.of(C), exportedToB());
        assertEquals(List.of(Exports.reporterOf(0)), b.info(C).orElseThrow().referencedBy());

        // persisted and applied, then released: x is held by nobody, so c is exported no more, and B may take it
        a.applyRegistered(List.of(xc));
        assertTrue(b.isProtected(C));
        a.release(r);
        assertEquals(List.of(C), flushA().activeRemoved(), "released, and no caller protects c");
        assertEquals(Set.of(), exportedToB());
        cGoes("released, x unheld");
    }

    @Test
    void releasedTheCalleeIsExportedIffTheCallerIsProtected() {
        Registration xc = new Registration(X, List.of(C));
        PartitionedLedger.Reservation r = a.reserve(List.of(xc), now);
        protect(r, false);
        flushA();
        a.applyRegistered(List.of(xc));
        net.report(NodeReport.delta("n", 1, ++ns, List.of(X), List.of(), List.of(), List.of()), now); // n holds x
        assertTrue(a.isProtected(X));
        a.release(r);
        NodeReport after = flushA();
        assertTrue(after.activeRemoved().isEmpty(), "x is held: c stays exported");
        assertEquals(Set.of(C), exportedToB());
        cSurvives("x is held");

        net.report(NodeReport.delta("n", 1, ++ns, List.of(), List.of(X), List.of(), List.of()), now); // n lets x go
        assertEquals(List.of(C), flushA().activeRemoved());
        assertEquals(Set.of(), exportedToB());
        cGoes("x unheld");
    }

    @Test
    void aCalleeReservedTwiceStaysListedUntilBothAreReleased() {
        PartitionedLedger.Reservation r1 = a.reserve(List.of(new Registration(X, List.of(C))), now);
        PartitionedLedger.Reservation r2 = a.reserve(List.of(new Registration(X2, List.of(C))), now);
        assertEquals(2, a.reservations(0, C));
        protect(r1, false);
        protect(r2, false);
        assertEquals(List.of(C), flushA().activeAdded());
        a.release(r1);
        a.release(r1); // once only: the second release of r1 must not end r2's
        assertEquals(1, a.reservations(0, C));
        NodeReport after = flushA();
        assertTrue(after.activeRemoved().isEmpty(), "r2 still reserves c");
        assertEquals(Set.of(C), exportedToB());
        cSurvives("r2 is pending");
        a.release(r2); // refused, say: nothing registered
        assertEquals(0, a.reservations(0, C));
        assertEquals(List.of(C), flushA().activeRemoved());
        cGoes("nothing reserves c, and no caller");
    }

    @Test
    void aFullListsAReservedCallee() {
        PartitionedLedger.Reservation r = a.reserve(List.of(new Registration(X, List.of(C))), now);
        protect(r, false);
        assertEquals(List.of(C), flushA().activeAdded(), "the first export after the reservation lists c");
        a.resendExportsFull(0, 1, 0); // B asked for a FULL
        NodeReport full = flushA();
        assertEquals(NodeReport.Kind.FULL, full.kind());
        assertEquals(List.of(C), full.activeAdded());
        cSurvives("a FULL while the registration is pending");

        // and the very first report of a new partition: a FULL, reserved callee with no local caller at all
        PartitionedLedger fresh = PartitionedLedger.hosting(SETTINGS, 64, P2, 0);
        fresh.reserve(List.of(new Registration(X, List.of(C))), now);
        List<PartitionedLedger.Export> first = fresh.flushExports(0, now);
        assertEquals(NodeReport.Kind.FULL, first.get(0).report().kind());
        assertEquals(List.of(C), first.get(0).report().activeAdded());
    }

    @Test
    void theCalleesBelowALocalCalleeAreReservedTooAndOwnOrForeignCallersAreNot() {
        a.applyRegistered(List.of(new Registration(D, List.of(E)))); // d -> e: registered, d held by nobody
        List<Registration> batch = List.of(new Registration(X, List.of(D, C)),
                new Registration(C, List.of(E))); // c's registration is B's: its host reserves
        assertEquals(Map.of(0, Set.of(C, E)), a.remoteCallees(batch));
        assertEquals(Map.of(), b.remoteCallees(batch), "c -> e stays in B");
        PartitionedLedger.Reservation r = a.reserve(batch, now);
        protect(r, false);
        assertEquals(Set.of(C, E), Set.copyOf(flushA().activeAdded()));
        assertTrue(a.hasLocalContentInClosure(D));
        assertFalse(a.hasLocalContentInClosure(C), "hosted elsewhere: left to the Protect");
        assertTrue(a.checkRegister(List.of(X, C)).isEmpty(), "local: c is left to its owner");
        a.release(r);
        assertThrows(IllegalArgumentException.class, () -> a.partition(0).reserve(List.of(D)), "A's own hash");
        assertEquals(0, a.partition(0).reservations(D));
        BlobHash f = in(0, 4);
        a.applyRegistered(List.of(Registration.of(f)));
        assertTrue(a.reserve(List.of(new Registration(X2, List.of(f))), now).isEmpty(), "no edge crosses");
    }

    @Test
    void anOperatorPinReservesTheRemoteCalleesBelowItUntilItIsApplied() {
        a.applyRegistered(List.of(new Registration(X, List.of(C))));
        assertTrue(a.checkPinLocally(X, now).isEmpty());
        PartitionedLedger.Reservation r = a.reserveBelow(List.of(X), now);
        assertEquals(1, a.reservations(0, C));
        assertTrue(protect(r, false).notRecorded().isEmpty());
        cSurvives("the pin is pending");
        a.applyPinned(X, new Pin("op", "test", now, null));
        a.release(r);
        assertTrue(flushA().activeRemoved().isEmpty(), "x is pinned: c stays exported");
        cSurvives("x is pinned");
        a.applyUnpinned(X, "op");
        assertEquals(List.of(C), flushA().activeRemoved());
        cGoes("x unpinned");
    }

    @Test
    void withoutAReservationTheWholeLedgerAndPOneAreUnchanged() {
        // the whole ledger of P = 2: no reservation, the exports follow the holds as before
        PartitionedLedger whole = new PartitionedLedger(SETTINGS, 64, P2);
        whole.applyRegistered(List.of(Registration.of(C), new Registration(X, List.of(C))));
        whole.memberUp("n", now);
        whole.report(NodeReport.full("n", 1, 1, List.of(X), List.of()), now);
        whole.exchangeExports(now);
        assertEquals(Set.of(C), whole.partition(0).exportedTo(1));
        whole.report(NodeReport.delta("n", 1, 2, List.of(), List.of(X), List.of(), List.of()), now);
        whole.exchangeExports(now);
        assertEquals(Set.of(), whole.partition(0).exportedTo(1));
        assertEquals(0, whole.reservations(0, C));

        // a reservation that is released before any flush changes nothing the target keeps
        PartitionedLedger.Reservation r = whole.reserve(List.of(new Registration(X, List.of(C))), now);
        whole.release(r);
        whole.exchangeExports(now);
        assertEquals(Set.of(), whole.partition(0).exportedTo(1));
        assertFalse(whole.isProtected(C));

        // P = 1: nothing crosses, nothing is reserved, nothing exported
        PartitionedLedger one = new PartitionedLedger(SETTINGS);
        one.applyRegistered(List.of(Registration.of(C), new Registration(X, List.of(C))));
        assertEquals(Map.of(), one.remoteCallees(List.of(new Registration(X, List.of(C)))));
        PartitionedLedger.Reservation none = one.reserve(List.of(new Registration(X, List.of(C))), now);
        assertTrue(none.isEmpty());
        one.release(none);
        assertTrue(one.flushExports(now).isEmpty());
    }
}
