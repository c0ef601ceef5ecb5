package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static io.blobgc.ledger.LedgerFixture.h;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An adversarial review of partition step 4 ({@link PartitionedLedger}, by a helper with the code and DESIGN.md): each
 * test runs the same calls at P = 1 and at P = 2 and asserts what one ledger does. Each failed at P = 2 before its fix.
 * Left out: a registration that brings a pruned remote callee back as ACTIVE without content (B cannot see A's caller
 * and prunes the tombstone; the coordinator's {@code hasContentInClosure} check refuses such a registration first).
 */
class PartitionedLedgerReviewTest {

    private long now = 1_700_000_000_000L;

    /** A hash partition {@code p} of 2 owns (top bit of the first byte); at P = 1 all are partition 0's. */
    private static BlobHash in(int p, int i) {
        BlobHash hash = h(p << 7 | i);
        assertEquals(p, Partitioning.of(2).partitionOf(hash));
        return hash;
    }

    private void cycle(PartitionedLedger l) {
        l.applyCycle(l.planCycle(now, now, false));
        l.exchangeExports(now);
    }

    private static NodeReport heartbeat(String node, long seq) {
        return NodeReport.delta(node, 1, seq, List.of(), List.of(), List.of(), List.of());
    }

    // ---- 1. policy drop: a node that comes back with a FULL re-holds x in A at once, but x's remote callee c is
    //         exported to B only at the next exchange; B confirms with the node's (empty) share and A's older export

    private List<BlobHash> dropThenComeBack(int partitions, BlobHash x, BlobHash c, boolean exchangeAfterFull) {
        LedgerSettings s = LedgerSettings.DEFAULTS.withGracePeriodMs(0).withStaleThresholdMs(10_000)
                .withStaleNodePolicy(StaleNodePolicy.DROP);
        PartitionedLedger l = new PartitionedLedger(s, 64, Partitioning.of(partitions));
        l.applyRegistered(List.of(new Registration(x, List.of(c)), Registration.of(c)));
        l.memberUp("n", now);
        l.memberUp("m", now);
        long ns = 0, ms = 0;
        l.report(NodeReport.full("n", 1, ++ns, List.of(), List.of()), now);
        l.report(NodeReport.full("m", 1, ++ms, List.of(), List.of()), now);
        assertEquals(AcquireOutcome.ACQUIRED, l.acquire("n", 1, ns, x, now));
        l.report(NodeReport.delta("n", 1, ++ns, List.of(x), List.of(), List.of(), List.of()), now);
        now += 1_000;
        cycle(l);
        for (int i = 0; i < 6; i++) { // n is silent: stale after 10 s, dropped; m keeps the quorum
            now += 3_000;
            l.report(heartbeat("m", ++ms), now);
            cycle(l);
        }
        assertEquals(Optional.of(BlobStatus.MARKED_FOR_COLLECTION), l.status(c));
        l.report(heartbeat("m", ++ms), now);
        // n is back: its heartbeat is answered NEED_FULL, and its FULL lists x again, as it still runs x
        assertEquals(ReportOutcome.NEED_FULL, l.report(heartbeat("n", ++ns), now));
        assertEquals(ReportOutcome.APPLIED, l.report(NodeReport.full("n", 1, ++ns, List.of(x), List.of()), now));
        assertTrue(l.isProtected(x), "x is held by n again");
        if (exchangeAfterFull) l.exchangeExports(now);
        return l.planDeletion(100);
    }

    @Test
    void aNodeBackFromADropReHoldsTheRemoteClosureBeforeAnyDeletion() {
        assertEquals(List.of(), dropThenComeBack(1, in(0, 1), in(1, 2), false), "P = 1: c is below x, held");
        assertEquals(List.of(), dropThenComeBack(2, in(0, 1), in(1, 2), false), "P = 2: c is below x, held");
    }

    @Test
    void oneExchangeAfterTheReportIsNotEnoughForAChainThatCrossesBack() {
        // x (1) -> c (0) -> d (1): partition 0 flushes before it imports c, so d waits for a second exchange
        BlobHash x = in(1, 1), c = in(0, 2), d = in(1, 3);
        LedgerSettings s = LedgerSettings.DEFAULTS.withGracePeriodMs(0).withStaleThresholdMs(10_000)
                .withStaleNodePolicy(StaleNodePolicy.DROP);
        PartitionedLedger l = new PartitionedLedger(s, 64, Partitioning.of(2));
        l.applyRegistered(List.of(new Registration(x, List.of(c)), new Registration(c, List.of(d)), Registration.of(d)));
        l.memberUp("n", now);
        l.memberUp("m", now);
        long ns = 0, ms = 0;
        l.report(NodeReport.full("n", 1, ++ns, List.of(), List.of()), now);
        l.report(NodeReport.full("m", 1, ++ms, List.of(), List.of()), now);
        assertEquals(AcquireOutcome.ACQUIRED, l.acquire("n", 1, ns, x, now));
        l.report(NodeReport.delta("n", 1, ++ns, List.of(x), List.of(), List.of(), List.of()), now);
        now += 1_000;
        cycle(l);
        for (int i = 0; i < 8; i++) {
            now += 3_000;
            l.report(heartbeat("m", ++ms), now);
            cycle(l);
        }
        assertEquals(Optional.of(BlobStatus.MARKED_FOR_COLLECTION), l.status(d));
        l.report(heartbeat("m", ++ms), now);
        l.report(heartbeat("n", ++ns), now);
        l.report(NodeReport.full("n", 1, ++ns, List.of(x), List.of()), now);
        l.exchangeExports(now); // even an exchange right after the report
        assertFalse(l.planDeletion(100).contains(d), "d is below x, which n holds");
    }

    // ---- 2. a takeover after a warm-up began (the coordinator's order: recovery, warm-up, its own takeover)

    @Test
    void aPartitionedLedgerThatWroteItsTakeoverStillAnswersAcquires() {
        BlobHash x = in(0, 1), c = in(1, 2);
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS.withGracePeriodMs(0), 64,
                Partitioning.of(2));
        l.beginWarmUp(null, now);
        l.applyTookOver("instance-1", 30_000); // the coordinator's own, first, takeover (S10)
        l.applyRegistered(List.of(new Registration(x, List.of(c)), Registration.of(c)));
        l.memberUp("n", now);
        l.report(NodeReport.full("n", 1, 1, List.of(), List.of()), now);
        assertDoesNotThrow(() -> l.acquire("n", 1, 1, x, now));
        assertDoesNotThrow(() -> l.exchangeExports(now));
    }

    // ---- 3. an acquire answered GONE for a remote callee leaves the blob held by the node (P = 1 records nothing)

    private PartitionedLedger withCollectedCallee(int partitions, BlobHash x, BlobHash c) {
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS.withGracePeriodMs(0), 64,
                Partitioning.of(partitions));
        l.applyRegistered(List.of(new Registration(x, List.of(c)), Registration.of(c)));
        l.memberUp("n", now);
        l.report(NodeReport.full("n", 1, 1, List.of(), List.of()), now);
        for (long seq = 2; seq <= 4; seq++) {
            l.report(heartbeat("n", seq), now);
            now += 1_000;
            cycle(l);
        }
        assertEquals(Optional.of(BlobStatus.MARKED_FOR_COLLECTION), l.status(c));
        l.applyDeletionStarted(List.of(c), now);
        l.applyCollected(List.of(c), now, 0);
        return l;
    }

    @Test
    void aGoneAcquireRecordsNothing() {
        for (int p : new int[]{1, 2}) {
            BlobHash x = in(0, 1), c = in(1, 2);
            PartitionedLedger l = withCollectedCallee(p, x, c);
            assertEquals(AcquireOutcome.GONE, l.acquire("n", 1, 4, x, now), "P = " + p);
            assertEquals(List.of(), l.info(x).orElseThrow().referencedBy(), "P = " + p + ": x is not held after GONE");
        }
    }

    @Test
    void aStaleAskOfABlobWithAGoneRemoteCalleeIsAnsweredAsByOneLedger() {
        for (int p : new int[]{1, 2}) {
            BlobHash x = in(0, 1), c = in(1, 2);
            PartitionedLedger l = withCollectedCallee(p, x, c);
            // n asks after seq 1, but seqs 2 to 4 (without x) were applied since
            assertEquals(AcquireOutcome.GONE, l.acquire("n", 1, 1, x, now), "P = " + p);
        }
    }

    // ---- 4. a new remote edge under a protected caller: no registration fence (phase 2), c unprotected until the
    //         next exchange, unless the driver applies the use rule (BlobsUsed of waitingOutGrace), as
    //         Registrations.decide does: at P > 1 that rule is what keeps c (until phase 2 of partitions.md §3)

    @Test
    void aNewRemoteEdgeUnderAHeldCallerProtectsTheCalleeAtOnce() {
        for (int p : new int[]{1, 2}) {
            BlobHash x = in(0, 1), c = in(1, 2);
            PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS.withGracePeriodMs(0), 64,
                    Partitioning.of(p));
            l.applyRegistered(List.of(Registration.of(x), Registration.of(c)));
            l.memberUp("n", now);
            l.report(NodeReport.full("n", 1, 1, List.of(), List.of()), now);
            assertEquals(AcquireOutcome.ACQUIRED, l.acquire("n", 1, 1, x, now));
            for (long seq = 2; seq <= 4; seq++) {
                l.report(NodeReport.delta("n", 1, seq, seq == 2 ? List.of(x) : List.of(), List.of(), List.of(),
                        List.of()), now);
                now += 1_000;
                cycle(l);
            }
            assertEquals(Optional.of(BlobStatus.MARKED_FOR_COLLECTION), l.status(c));
            assertTrue(l.hasContentInClosure(c), "the registration's check passes");
            List<BlobHash> used = l.waitingOutGrace(List.of(c)); // the coordinator's use rule, computed before
            l.applyRegistered(List.of(new Registration(x, List.of(c)))); // x -> c, x held
            l.applyUsed(used);
            assertEquals(List.of(), l.planDeletion(100), "P = " + p + ": c is below x, held");
        }
    }
}
