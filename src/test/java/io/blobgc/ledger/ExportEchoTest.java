package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The echo of the warm-up FULL (partitions-part2-plan S1.4; partitions.md, review of steps 1–3): partitions hosted
 * apart recover apart, so an export built before a partition's recovery can still be in flight after it — built
 * before a {@code Protect} whose sticky that recovery forgot. While it warms up, a hosted partition takes only the FULL
 * it asked for since its recovery, which echoes its generation ({@link PartitionedLedger#resendExportsFull}).
 * Partition A (0) owns x, B (1) owns c; x calls c.
 */
class ExportEchoTest {

    private static final BlobHash X = TwoPartitions.in(0, 1), C = TwoPartitions.in(1, 1);
    private static final List<Registration> REGISTERED = List.of(Registration.of(C), new Registration(X, List.of(C)));

    private final long now = 1_000;

    /** Partition {@code p} hosted alone, its blobs registered, its instance {@code generation} taken over. */
    private PartitionedLedger partition(int p, int generation, boolean warming) {
        return TwoPartitions.hosted(p, REGISTERED, generation, warming, now);
    }

    /** Partition {@code from}'s one export, flushed now. */
    private PartitionedLedger.Export flush(PartitionedLedger from, int p) {
        List<PartitionedLedger.Export> out = from.flushExports(p, now);
        assertEquals(1, out.size());
        return out.get(0);
    }

    @Test
    void aWarmingPartitionTakesOnlyTheFullThatEchoesItsGenerationAndAnyOtherAsksAgain() {
        PartitionedLedger a = partition(0, 0, false); // never restored: it may export without a takeover
        a.report(NodeReport.full("n1", 1, 1, List.of(X), List.of()), now);
        PartitionedLedger b = partition(1, 1, false);
        PartitionedLedger.Export before = flush(a, 0);
        assertEquals(NodeReport.Kind.FULL, before.report().kind());
        assertEquals(0, before.echo(), "B asked for nothing yet");
        assertEquals(ReportOutcome.APPLIED, b.deliverExport(before, now), "B is not warming up: any FULL is taken");
        assertTrue(b.isProtected(C));

        // B recovers (generation 2) while A's FULL of before is still in flight to it
        PartitionedLedger b2 = partition(1, 2, true);
        b2.report(NodeReport.full("n1", 1, 1, List.of(X), List.of()), now); // n1's share in B: empty
        assertEquals(ReportOutcome.NEED_FULL, b2.deliverExport(before, now),
                "a FULL built before B's recovery is not taken while B warms up");
        assertTrue(b2.warmingUp());
        assertTrue(b2.warmUpBlockers().contains("partition:0"), "A's view is not rebuilt: " + b2.warmUpBlockers());

        a.resendExportsFull(0, 1, b2.generation()); // B's ask, at its generation
        PartitionedLedger.Export echoed = flush(a, 0);
        assertEquals(NodeReport.Kind.FULL, echoed.report().kind());
        assertEquals(2, echoed.echo());
        assertEquals(ReportOutcome.APPLIED, b2.deliverExport(echoed, now));
        assertFalse(b2.warmingUp(), "every view rebuilt: " + b2.warmUpBlockers());
        assertTrue(b2.isProtected(C));
        assertEquals(2, flush(a, 0).echo(), "every later report echoes it too");
    }

    @Test
    void aFullEchoingAnEarlierGenerationIsAskedAgainAndADeltaBeforeTheFullIsAGap() {
        PartitionedLedger a = partition(0, 0, false); // never restored: it may export without a takeover
        a.report(NodeReport.full("n1", 1, 1, List.of(X), List.of()), now);
        PartitionedLedger b3 = partition(1, 3, true);
        a.resendExportsFull(0, 1, 2); // asked by B's previous instance
        PartitionedLedger.Export stale = flush(a, 0);
        assertEquals(ReportOutcome.NEED_FULL, b3.deliverExport(stale, now));
        PartitionedLedger.Export delta = flush(a, 0);
        assertEquals(NodeReport.Kind.DELTA, delta.report().kind());
        assertEquals(ReportOutcome.NEED_FULL, b3.deliverExport(delta, now), "no FULL taken yet: a gap");
        a.resendExportsFull(0, 1, b3.generation());
        assertEquals(ReportOutcome.APPLIED, b3.deliverExport(flush(a, 0), now));
        assertTrue(b3.isProtected(C));
    }

    /**
     * (Review of S1.4.) The echo rule keyed on {@code kind() == FULL} ({@link PartitionedLedger#applyExport}), but
     * {@code NodeViews.report} takes every report that is not a DELTA as a FULL. An export whose kind is null (CBOR can
     * carry one; nothing between the wire and the ledger refuses it for exports) is therefore applied as a settled FULL
     * that echoes nothing: a B that recovered (generation 2) and warms up takes it and ends its warm-up on a view that
     * was not built after its recovery — what the echo rule was added to prevent. Fix: test {@code kind() != DELTA}
     * in {@code applyExport} (and refuse a null kind as MALFORMED, as the node path's {@code wellFormed} does).
     */
    @Test
    void anExportWithNoKindIsHeldToTheEchoRuleLikeAFull() {
        PartitionedLedger b = partition(1, 2, true); // recovered: generation 2, warming up
        b.report(NodeReport.full("n1", 1, 1, List.of(X), List.of()), now); // n1's share in B: empty
        assertTrue(b.warmUpBlockers().contains("partition:0"));
        NodeReport noKind = new NodeReport("partition:0", 1, 7, null, List.of(), List.of(), List.of(), List.of(), 0, 1,
                true); // built before B's recovery, or corrupt: it echoes no ask of B's
        ReportOutcome o = b.deliverExport(new PartitionedLedger.Export(0, 1, noKind, 0, null), now);
        assertNotEquals(ReportOutcome.APPLIED, o, "a report with no kind taken as a FULL that skips the echo");
        assertTrue(b.warmingUp(), "B's warm-up ended on a report that does not echo its generation: "
                + b.warmUpBlockers());
    }
}
