package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.blobgc.ledger.LedgerFixture.h;
import static io.blobgc.ledger.LedgerFixture.hashes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Partition views in {@link NodeViews} (partitions.md §1 and §5 step 2): another partition's exports reported as a
 * view of kind PARTITION ({@link Ledger#partitionUp}), provisional reports ({@link NodeReport#settled} false) and
 * sticky acquires that keep the latest (incarnation, seq). Nothing sends partition reports yet: the tests send them.
 */
class PartitionViewsTest {

    private static final long MIN = 60_000;
    private static final String A = "partition:1";

    /** A FULL from {@code reporter} (incarnation 1, its next seq) listing {@code refs}, settled or provisional. */
    private static ReportOutcome full(LedgerFixture f, String reporter, boolean settled, BlobHash... refs) {
        NodeReport r = NodeReport.full(reporter, 1, f.nextSeq(reporter), List.of(refs), List.of());
        return f.ledger.report(settled ? r : r.provisional(), f.now);
    }

    /** A DELTA from {@code reporter} (incarnation 1, its next seq), settled or provisional. */
    private static ReportOutcome delta(LedgerFixture f, String reporter, boolean settled, List<BlobHash> added,
                                       List<BlobHash> removed) {
        NodeReport r = NodeReport.delta(reporter, 1, f.nextSeq(reporter), added, removed, List.of(), List.of());
        return f.ledger.report(settled ? r : r.provisional(), f.now);
    }

    /**
     * Grace 0; {@code blobs} registered; node n1 up with a FULL listing nothing, partition A up with a FULL (settled or
     * not) listing {@code listedByA}.
     */
    private static LedgerFixture nodeAndPartition(boolean settled, List<BlobHash> blobs, BlobHash... listedByA) {
        LedgerFixture f = LedgerFixture.noGrace();
        f.register(blobs.toArray(BlobHash[]::new));
        f.ledger.partitionUp(A, f.now);
        f.full("n1");
        full(f, A, settled, listedByA);
        return f;
    }

    private static ReportOutcome heartbeat(LedgerFixture f, String reporter, boolean settled) {
        return delta(f, reporter, settled, List.of(), List.of());
    }

    @Test
    void aProvisionalFullNeverRemovesAndNeverConfirms() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1), y = h(2);
        f.register(x, y);
        f.ledger.partitionUp(A, f.now);
        f.full("n1");
        assertEquals(ReportOutcome.APPLIED, full(f, A, true, x));
        assertEquals(List.of(y), f.cycle().unreferenced());
        f.heartbeat("n1");
        heartbeat(f, A, true);
        assertEquals(List.of(y), hashes(f.cycle().marked()));
        // y is marked; n1 confirms it absent after the mark, A sends provisional reports only
        f.heartbeat("n1");
        assertEquals(ReportOutcome.APPLIED, full(f, A, false)); // lists nothing: x is not dropped
        assertTrue(f.ledger.isProtected(x), "a provisional FULL removed a reference");
        assertTrue(f.ledger.planDeletion(10).isEmpty(), "a provisional FULL confirmed y absent");
        assertEquals(ReportOutcome.APPLIED, delta(f, A, false, List.of(), List.of(x)));
        assertTrue(f.ledger.isProtected(x), "a provisional DELTA removed a reference");
        f.heartbeat("n1");
        CycleOutcome o = f.cycle();
        assertTrue(o.unreferenced().isEmpty(), "x must stay referenced");
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        assertTrue(f.ledger.planDeletion(10).isEmpty(), "a provisional DELTA confirmed y absent");
        // S8 still applies to provisional reports: they moved the seq on, so an old settled one is refused
        NodeReport old = NodeReport.full(A, 1, 2, List.of(), List.of());
        assertEquals(ReportOutcome.DUPLICATE_OR_OLD, f.ledger.report(old, f.now));
        // the first settled report after the mark confirms; the first settled FULL replaces the view
        assertEquals(ReportOutcome.APPLIED, heartbeat(f, A, true));
        assertEquals(List.of(y), f.ledger.planDeletion(10));
        assertEquals(ReportOutcome.APPLIED, full(f, A, true));
        assertFalse(f.ledger.isProtected(x));
        f.heartbeat("n1");
        assertEquals(List.of(x), f.cycle().unreferenced());
    }

    /**
     * Review of step 2: after a gap (a lost report: NEED_FULL) a provisional FULL made the view complete again with the
     * confirmation it had before the gap. Only a settled FULL confirms again.
     */
    @Test
    void aProvisionalFullAfterAGapDoesNotBringBackTheConfirmationFromBeforeIt() {
        BlobHash y = h(2);
        LedgerFixture f = nodeAndPartition(true, List.of(y));
        f.cycle(); // y UNREFERENCED
        f.heartbeat("n1");
        heartbeat(f, A, true);
        assertEquals(List.of(y), hashes(f.cycle().marked()));
        f.heartbeat("n1");
        heartbeat(f, A, true); // A confirms y absent after the mark
        assertEquals(List.of(y), f.ledger.planDeletion(10));
        f.nextSeq(A); // a report of A is lost
        assertEquals(ReportOutcome.NEED_FULL, heartbeat(f, A, true));
        assertTrue(f.ledger.planDeletion(10).isEmpty(), "a view with a gap confirms nothing");
        assertEquals(ReportOutcome.APPLIED, full(f, A, false));
        assertTrue(f.ledger.planDeletion(10).isEmpty(), "a provisional FULL after the gap confirmed y absent");
        assertEquals(ReportOutcome.APPLIED, heartbeat(f, A, false));
        assertTrue(f.ledger.planDeletion(10).isEmpty(), "a provisional DELTA after it confirmed y absent");
        assertEquals(ReportOutcome.APPLIED, full(f, A, true));
        assertEquals(List.of(y), f.ledger.planDeletion(10), "a settled FULL confirms again");
    }

    @Test
    void aBlobUnreferencedIsNotMarkedWhileAPartitionSendsOnlyProvisionalReports() {
        BlobHash y = h(2);
        LedgerFixture f = nodeAndPartition(false, List.of(y));
        assertEquals(List.of(y), f.cycle().unreferenced());
        for (int i = 0; i < 3; i++) {
            f.heartbeat("n1");
            heartbeat(f, A, false);
            assertTrue(f.cycle().marked().isEmpty(), "a live partition with provisional reports only confirmed y");
        }
        heartbeat(f, A, true);
        f.heartbeat("n1");
        assertEquals(List.of(y), hashes(f.cycle().marked()));
    }

    @Test
    void policyDropKeepsAStalePartitionViewsRefs() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(MIN).withStaleThresholdMs(3 * MIN)
                .withStaleNodePolicy(StaleNodePolicy.DROP));
        BlobHash byPartition = h(1), byNode = h(2);
        f.register(byPartition, byNode);
        f.ledger.partitionUp(A, f.now);
        f.full("n1");
        f.full("n2", byNode);
        full(f, A, true, byPartition);
        f.cycle();
        f.advance(4 * MIN); // n2 and A are silent from now on
        f.heartbeat("n1");
        CycleOutcome o = f.cycle();
        assertEquals(List.of("n2", A), o.staleNodes());
        assertEquals(List.of(byNode), o.unreferenced(), "policy drop dropped the stale node's view, as before");
        assertEquals(BlobStatus.ACTIVE, f.status(byPartition), "policy drop cleared a partition's view");
        f.advance(10 * MIN);
        f.heartbeat("n1");
        f.cycle();
        assertEquals(BlobStatus.ACTIVE, f.status(byPartition));
        assertEquals(List.of(A), f.ledger.info(byPartition).orElseThrow().referencedBy());
    }

    @Test
    void aStalePartitionViewIsNotSweptAsANonMember() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(MIN).withStaleThresholdMs(3 * MIN));
        BlobHash x = h(1);
        f.register(x);
        // membership lists n1 only: a stale view of anything else is a removal this ledger did not see...
        f.ledger.beginWarmUp(List.of("n1"), f.now);
        f.ledger.partitionUp(A, f.now);
        f.full("n1");
        full(f, A, true, x);
        assertFalse(f.ledger.warmingUp());
        f.cycle();
        f.advance(4 * MIN);
        f.heartbeat("n1");
        CycleOutcome o = f.cycle();
        assertEquals(List.of(A), o.staleNodes());
        // ...but not a partition's: it keeps protecting
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        assertEquals(List.of(A), f.ledger.info(x).orElseThrow().referencedBy());
    }

    @Test
    void aPartitionViewDoesNotCountTowardQuorum() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0).withMinNodesReporting(2));
        BlobHash x = h(1);
        f.register(x);
        f.ledger.partitionUp(A, f.now);
        f.full("n1");
        full(f, A, true);
        CycleOutcome o = f.cycle();
        assertTrue(o.frozen(), "one node and one partition are not two nodes");
        assertEquals(List.of("n1"), o.confirmedBy());
        assertTrue(o.unreferenced().isEmpty());
        f.full("n2");
        o = f.cycle();
        assertFalse(o.frozen());
        assertEquals(List.of(x), o.unreferenced());
    }

    @Test
    void aLivePartitionViewHoldsMinConfirmTickBack() {
        BlobHash x = h(1);
        LedgerFixture f = nodeAndPartition(true, List.of(x));
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.heartbeat("n1"); // A says nothing after x became unreferenced
        assertTrue(f.cycle().marked().isEmpty(), "A has not confirmed x absent");
        heartbeat(f, A, true);
        assertEquals(List.of(x), hashes(f.cycle().marked()));
        f.heartbeat("n1");
        assertTrue(f.ledger.planDeletion(10).isEmpty(), "A has not confirmed x absent after the mark");
        heartbeat(f, A, true);
        assertEquals(List.of(x), f.ledger.planDeletion(10));
    }

    @Test
    void aPartitionUpWithNoReportYetHoldsMinConfirmTickBack() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.full("n1");
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.ledger.partitionUp(A, f.now);
        f.heartbeat("n1");
        assertTrue(f.cycle().marked().isEmpty(), "a partition that never reported confirmed x absent");
    }

    @Test
    void aRemovedMemberNamedLikeAPartitionDoesNotClearThePartitionView() {
        BlobHash x = h(1), y = h(2);
        LedgerFixture f = nodeAndPartition(true, List.of(x, y), x);
        f.ledger.memberRemoved(A, f.now);
        assertFalse(f.ledger.isNodeRemoved(A));
        assertTrue(f.ledger.isProtected(x), "membership cleared a partition's view");
        assertEquals(ReportOutcome.APPLIED, heartbeat(f, A, true), "a partition's report was refused as removed");
        assertEquals(AcquireOutcome.ACQUIRED, f.ledger.acquire(A, 1, 2, y, f.now));
        f.heartbeat("n1");
        f.cycle();
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        assertEquals(BlobStatus.ACTIVE, f.status(y));
        // a removal seen before the partition came up does not outlive partitionUp either
        String b = "partition:2";
        f.ledger.memberRemoved(b, f.now);
        assertEquals(ReportOutcome.FROM_REMOVED_NODE, full(f, b, true, y));
        f.ledger.partitionUp(b, f.now);
        assertEquals(ReportOutcome.APPLIED, full(f, b, true, y));
    }

    @Test
    void theWarmUpWaitsForASettledFullFromAPartitionView() {
        BlobHash x = h(1), y = h(2);
        LedgerFixture f = nodeAndPartition(true, List.of(x, y), x);
        f.cycle();
        f.heartbeat("n1");
        heartbeat(f, A, true);
        f.cycle();
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(y));
        // failover: the new ledger has the journal's state and no views; membership lists n1 only
        Ledger recovered = Ledger.fromSnapshot(f.ledger.settings(), f.ledger.snapshot());
        recovered.beginWarmUp(List.of("n1"), f.now);
        recovered.partitionUp(A, f.now);
        recovered.report(NodeReport.full("n1", 1, 10, List.of(), List.of()), f.now);
        assertTrue(recovered.warmingUp(), "the warm-up ended without the partition's FULL");
        assertEquals(List.of(A), recovered.warmUpBlockers());
        recovered.report(NodeReport.full(A, 2, 1, List.of(), List.of()).provisional(), f.now);
        assertTrue(recovered.warmingUp(), "a provisional FULL ended the warm-up");
        assertEquals(List.of(A), recovered.warmUpBlockers());
        CycleOutcome o = recovered.planCycle(f.now, false);
        recovered.applyCycle(o);
        assertTrue(o.warmingUp());
        assertTrue(o.unreferenced().isEmpty(), "x must not look unreferenced before the partition settled");
        assertTrue(recovered.planDeletion(10).isEmpty());
        recovered.report(NodeReport.full(A, 2, 2, List.of(x), List.of()), f.now);
        assertFalse(recovered.warmingUp());
        assertEquals(List.of(), recovered.warmUpBlockers());
        assertEquals(List.of(y), recovered.planDeletion(10));
    }

    @Test
    void aDuplicateStickyWithAnOlderSeqDoesNotLowerTheKeptOne() {
        for (String reporter : List.of(A, "n2")) {
            LedgerFixture f = LedgerFixture.noGrace();
            BlobHash x = h(1);
            f.register(x);
            if (reporter.equals(A)) f.ledger.partitionUp(A, f.now);
            f.full("n1");
            assertEquals(ReportOutcome.APPLIED, f.ledger.report(NodeReport.full(reporter, 1, 1, List.of(), List.of()),
                    f.now));
            // asked after report 3 was sent; then a duplicate of an earlier ask (after report 1) arrives
            assertEquals(AcquireOutcome.ACQUIRED, f.ledger.acquire(reporter, 1, 3, x, f.now));
            assertEquals(AcquireOutcome.ACQUIRED, f.ledger.acquire(reporter, 1, 1, x, f.now));
            // reports 2 and 3 were built before the later ask: they cannot drop x
            f.ledger.report(NodeReport.delta(reporter, 1, 2, List.of(), List.of(x), List.of(), List.of()), f.now);
            assertTrue(f.ledger.isProtected(x), reporter + ": report 2 dropped x: the older ask lowered the sticky");
            f.ledger.report(NodeReport.full(reporter, 1, 3, List.of(), List.of()), f.now);
            assertTrue(f.ledger.isProtected(x), reporter + ": report 3 dropped x");
            // report 4 was built after the ask: it covers it
            f.ledger.report(NodeReport.full(reporter, 1, 4, List.of(), List.of()), f.now);
            assertFalse(f.ledger.isProtected(x), reporter + ": report 4 did not cover the ask");
        }
    }

    @Test
    void aLateStickyOnAPartitionViewIsStale() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.ledger.partitionUp(A, f.now);
        f.full("n1");
        f.ledger.report(NodeReport.full(A, 1, 5, List.of(), List.of()), f.now);
        // a Protect built after A's report 4, delivered after report 5: that report already said what A holds
        assertEquals(AcquireOutcome.STALE, f.ledger.acquire(A, 1, 4, x, f.now));
        assertFalse(f.ledger.isProtected(x));
    }

    @Test
    void aPartitionReportWithPinsIsMalformed() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1);
        f.register(x);
        f.ledger.partitionUp(A, f.now);
        assertEquals(ReportOutcome.MALFORMED, f.ledger.report(NodeReport.full(A, 1, 1, List.of(), List.of(x)), f.now));
        assertFalse(f.ledger.isProtected(x));
        assertEquals(ReportOutcome.APPLIED, f.ledger.report(NodeReport.full(A, 1, 1, List.of(x), List.of()), f.now));
        f.full("n1");
        f.cycle();
        assertEquals(BlobStatus.ACTIVE, f.status(x), "a partition's reference is a reference, not a pin");
    }

    @Test
    void aProvisionalFullInChunksIsAppliedOnceAllChunksAreIn() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(1), y = h(2);
        f.register(x, y);
        f.ledger.partitionUp(A, f.now);
        f.ledger.report(NodeReport.full(A, 1, 1, List.of(x), List.of()), f.now);
        NodeReport c0 = new NodeReport(A, 1, 2, NodeReport.Kind.FULL, List.of(y), List.of(), List.of(), List.of(), 0, 2,
                false);
        NodeReport c1 = new NodeReport(A, 1, 2, NodeReport.Kind.FULL, List.of(), List.of(), List.of(), List.of(), 1, 2,
                false);
        assertEquals(ReportOutcome.CHUNK_BUFFERED, f.ledger.report(c0, f.now));
        assertFalse(f.ledger.isProtected(y));
        assertEquals(ReportOutcome.APPLIED, f.ledger.report(c1, f.now));
        assertTrue(f.ledger.isProtected(x), "a provisional FULL in chunks removed a reference");
        assertTrue(f.ledger.isProtected(y));
    }
}
