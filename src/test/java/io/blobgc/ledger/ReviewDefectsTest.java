package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.blobgc.ledger.LedgerFixture.h;
import static io.blobgc.ledger.LedgerFixture.hashes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The review's defects that live in the rules (issue 8: 1, 4, 6, 7, 9, 10, 11), one test each, named by what must
 * hold. Each failed against the ledger before its fix.
 */
class ReviewDefectsTest {

    private static final long MIN = 60_000L;

    /** A coordinator recovered from {@code f}'s persistent state, warming up with these Up members. */
    private static Ledger recover(LedgerFixture f, String... upMembers) {
        Ledger l = Ledger.fromSnapshot(f.ledger.settings(), f.ledger.snapshot());
        l.beginWarmUp(List.of(upMembers), f.now);
        return l;
    }

    private static CycleOutcome cycle(Ledger l, long now) {
        CycleOutcome o = l.planCycle(now, false);
        l.applyCycle(o);
        return o;
    }

    private static boolean condemned(Ledger l, BlobHash x) {
        BlobStatus s = l.status(x).orElse(null);
        return s == BlobStatus.MARKED_FOR_COLLECTION || s == BlobStatus.DELETING || s == BlobStatus.COLLECTED
                || l.planDeletion(100).contains(x);
    }

    @Test
    void r1_warmUpWaitsForEveryUpMemberEvenWhenAFullReportArrivesBeforeMembership() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.full("n2", x);
        f.cycle();
        // failover: a FULL of n1 stashed during recovery is handled before membership's events arrive;
        // n2 is Up, but its reporter is stuck
        Ledger l = recover(f, "n1", "n2");
        l.report(NodeReport.full("n1", 1, 10, List.of(), List.of()), f.now);
        l.memberUp("n1", f.now);
        l.memberUp("n2", f.now);
        for (int i = 0; i < 5; i++) {
            f.advance(5 * MIN);
            l.report(NodeReport.delta("n1", 1, 11 + i, List.of(), List.of(), List.of(), List.of()), f.now);
            cycle(l, f.now);
            assertFalse(condemned(l, x), "n2's blob condemned before n2 reported to the new coordinator");
        }
        assertTrue(l.warmingUp());
        assertEquals(List.of("n2"), l.warmUpBlockers());
    }

    @Test
    void r4_aReportNeverRegistersOrRevivesACollectedBlob() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        collect(f, x);
        // the reporter lists a hash it asked for (and was answered GONE) in its next report
        f.delta("n1", List.of(x), List.of());
        assertEquals(BlobStatus.COLLECTED, f.status(x));
        f.full("n1", x);
        assertEquals(BlobStatus.COLLECTED, f.status(x));
        // and an unknown hash stays unknown: only a persisted registration makes a blob known
        BlobHash y = h(2);
        f.ledger.report(NodeReport.full("n1", 1, f.nextSeq("n1"), List.of(y), List.of()), f.now);
        assertTrue(f.ledger.status(y).isEmpty());
    }

    @Test
    void r6_aChunkedFullThatCompletesAfterTheCollectionDoesNotReviveTheBlob() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.cycle();
        f.heartbeat("n1");
        f.cycle();
        f.heartbeat("n1");
        assertEquals(List.of(x), f.startDeletion());
        // a FULL in two chunks lists x (a sampled, stale use); x is collected between the chunks
        long seq = f.nextSeq("n1");
        f.ledger.report(new NodeReport("n1", 1, seq, NodeReport.Kind.FULL, List.of(x), List.of(), List.of(),
                List.of(), 0, 2), f.now);
        f.collect(List.of(x));
        int known = f.ledger.knownBlobs();
        assertEquals(ReportOutcome.APPLIED, f.ledger.report(new NodeReport("n1", 1, seq, NodeReport.Kind.FULL,
                List.of(), List.of(), List.of(), List.of(), 1, 2), f.now));
        assertEquals(BlobStatus.COLLECTED, f.status(x));
        assertEquals(known, f.ledger.knownBlobs());
    }

    @Test
    void r7_aUseThatStartsAndEndsBetweenTwoCyclesRestartsTheGrace() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(5 * MIN));
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.advance(4 * MIN);
        long seq = f.nextSeq("n1");
        f.ledger.report(NodeReport.delta("n1", 1, seq, List.of(), List.of(), List.of(), List.of()), f.now);
        assertEquals(AcquireOutcome.ACQUIRED, f.ledger.acquire("n1", 1, seq, x, f.now));
        f.advance(2_000);
        f.delta("n1", List.of(), List.of(x)); // released before the next cycle
        f.advance(2 * MIN);
        f.heartbeat("n1");
        CycleOutcome o = f.cycle();
        assertTrue(o.marked().isEmpty(), "used 2 min ago, marked with a 5 min grace");
        assertEquals(f.now, f.ledger.info(x).orElseThrow().unreferencedSince());
        assertTrue(f.ledger.planDeletion(10).isEmpty());
    }

    @Test
    void r9_aMarkedCalleeOfAHeldCallerIsRescued() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(5 * MIN));
        BlobHash caller = h(1), callee = h(2);
        f.register(caller, callee);
        f.full("n1", caller);
        f.cycle();
        f.advance(6 * MIN);
        f.heartbeat("n1");
        f.cycle();
        f.heartbeat("n1");
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(callee));
        // the held caller declares the callee: S2 protects it now
        f.registerWithDeps(caller, callee);
        assertTrue(f.ledger.planDeletion(10).isEmpty());
        // and the caller is released before the next cycle: the callee's grace starts again with the caller's
        f.delta("n1", List.of(), List.of(caller));
        assertTrue(f.ledger.planDeletion(10).isEmpty(), "callee handed to the sweeper while its caller is in grace");
        CycleOutcome o = f.cycle();
        assertTrue(o.unreferenced().containsAll(List.of(caller, callee)));
        assertEquals(BlobStatus.UNREFERENCED, f.status(callee));
    }

    @Test
    void r10_anExpiredOperatorPinLeavesTheBlobCollectable() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.ledger.applyPinned(x, new Pin("op", "until noon", f.now, f.now + 1_000));
        f.cycle();
        assertEquals(BlobStatus.PINNED, f.status(x));
        f.advance(2_000);
        for (int i = 0; i < 4 && f.status(x) != BlobStatus.MARKED_FOR_COLLECTION; i++) {
            f.heartbeat("n1");
            f.cycle();
        }
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(x));
    }

    @Test
    void r11_aRemovedMembersLeftoverViewHoldsNeitherWarmUpNorItsBlobsForever() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        f.cycle();
        // failover; n3 was removed before it, and its late report reaches the new coordinator
        Ledger l = recover(f, "n1");
        l.report(NodeReport.full("n3", 1, 5, List.of(x), List.of()), f.now);
        l.report(NodeReport.full("n1", 1, 10, List.of(), List.of()), f.now);
        assertFalse(l.warmingUp(), "warm-up waits for a member that no longer exists");
        long seq = 11;
        for (int i = 0; i < 6 && !condemned(l, x); i++) {
            f.advance(4 * MIN);
            l.report(NodeReport.delta("n1", 1, seq++, List.of(), List.of(), List.of(), List.of()), f.now);
            cycle(l, f.now);
        }
        assertNotEquals(BlobStatus.ACTIVE, l.status(x).orElseThrow(), "kept for ever by a removed member's view");
        assertTrue(condemned(l, x));
    }

    /** Registers {@code x}, lets it go unreferenced, marks and collects it, with n1 reporting. */
    private static void collect(LedgerFixture f, BlobHash x) {
        f.register(x);
        f.full("n1");
        f.cycle();
        f.heartbeat("n1");
        f.cycle();
        f.heartbeat("n1");
        assertEquals(List.of(x), f.startDeletion());
        f.collect(List.of(x));
        assertEquals(BlobStatus.COLLECTED, f.status(x));
    }

    /** Issue 8's "also found": policy drop must not drop views below quorum (the original's defect 7 again). */
    @Test
    void policyDropKeepsStaleViewsWhileBelowQuorum() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0).withMinNodesReporting(2)
                .withStaleNodePolicy(StaleNodePolicy.DROP));
        BlobHash x = h(1);
        f.register(x);
        f.full("n1", x);
        f.full("n2", x);
        f.cycle();
        f.advance(11 * MIN); // both stale: below quorum
        f.cycle();
        assertEquals(List.of("n1", "n2"), f.ledger.info(x).orElseThrow().referencedBy(), "views dropped below quorum");
        f.heartbeat("n1"); // one live node: still below quorum
        f.cycle();
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        assertEquals(List.of("n1", "n2"), f.ledger.info(x).orElseThrow().referencedBy());
    }
}
