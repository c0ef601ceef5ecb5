package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator.ExportResend;
import io.blobgc.coordinator.Coordinator.PartitionExport;
import io.blobgc.coordinator.Coordinator.PartitionsSettled;
import io.blobgc.coordinator.LinksCore.Level;
import io.blobgc.coordinator.LinksCore.Outcome;
import io.blobgc.coordinator.LinksCore.Send;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
import io.blobgc.ledger.SettleStatus;
import io.blobgc.ledger.TwoPartitions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A linked partition entity's decisions on the other partitions' messages ({@link LinksCore}), with no actor system:
 * hosted ledgers of two partitions, the test carrying the messages between them. Partition A (0) owns x, B (1) owns
 * c; x calls c.
 */
class LinksCoreTest {

    private static final Partitioning P2 = TwoPartitions.P2;
    private static final BlobHash X = TwoPartitions.in(0, 1), C = TwoPartitions.in(1, 1);
    private static final List<Registration> REGISTERED = List.of(Registration.of(C), new Registration(X, List.of(C)));

    private final long now = 1_000;
    private final LinksCore coreA = new LinksCore(EntityLink.partition(0, 2));
    private final LinksCore coreB = new LinksCore(EntityLink.partition(1, 2));

    /** Partition {@code p} hosted alone, its blobs registered, its instance {@code generation} taken over. */
    private PartitionedLedger partition(int p, int generation, boolean warming) {
        return TwoPartitions.hosted(p, REGISTERED, generation, warming, now);
    }

    /** A, never restored (it may export without a takeover), holding x for n1. */
    private PartitionedLedger partitionA() {
        PartitionedLedger a = partition(0, 0, false);
        a.report(NodeReport.full("n1", 1, 1, List.of(X), List.of()), now);
        return a;
    }

    /** The one export {@code sends} holds, to {@code to}. */
    private static PartitionExport export(List<Send> sends, int to) {
        assertEquals(1, sends.size(), String.valueOf(sends));
        assertEquals(to, sends.get(0).to());
        PartitionExport e = assertInstanceOf(PartitionExport.class, sends.get(0).message());
        assertEquals(to, e.to());
        return e;
    }

    private static void assertDropped(Outcome o, boolean logged) {
        assertEquals(List.of(), o.sends(), "nothing sent");
        assertFalse(o.flushSoon(), "no flush");
        assertNull(o.answer(), "no answer");
        if (logged) {
            assertEquals(1, o.logs().size(), String.valueOf(o.logs()));
            assertEquals(Level.WARN, o.logs().get(0).level());
        } else {
            assertEquals(List.of(), o.logs());
        }
    }

    @Test
    void aTakeoverAsksEveryOtherPartitionForAFullEchoingItsGeneration() {
        assertEquals(List.of(new Send(0, new ExportResend(1, 3))), coreB.tookOver(partition(1, 3, true)));
        LinksCore ofFour = new LinksCore(EntityLink.partition(1, 4));
        PartitionedLedger l = PartitionedLedger.hosting(TwoPartitions.SETTINGS, 64, Partitioning.of(4), 1);
        l.applyTookOver("instance-1", 30_000);
        assertEquals(List.of(new Send(0, new ExportResend(1, 1)), new Send(2, new ExportResend(1, 1)),
                new Send(3, new ExportResend(1, 1))), ofFour.tookOver(l));
    }

    @Test
    void aGapAsksTheSenderForAFullWithThisLedgersGenerationWhichTheDebouncedFlushEchoes() {
        PartitionedLedger a = partitionA();
        PartitionedLedger b3 = partition(1, 3, true);
        a.resendExportsFull(0, 1, 2); // asked by B's previous instance
        PartitionExport stale = export(coreA.flush(a, now), 1);
        assertEquals(NodeReport.Kind.FULL, stale.report().kind());
        Outcome o = coreB.onExport(b3, stale, now);
        assertEquals(List.of(new Send(0, new ExportResend(1, 3))), o.sends(), "a FULL not echoing generation 3");
        assertFalse(o.flushSoon());
        assertNull(o.answer());

        PartitionExport delta = export(coreA.flush(a, now), 1);
        assertEquals(NodeReport.Kind.DELTA, delta.report().kind());
        assertEquals(List.of(new Send(0, new ExportResend(1, 3))), coreB.onExport(b3, delta, now).sends(),
                "no FULL taken yet: a gap");

        Outcome asked = coreA.onExportResend(a, new ExportResend(1, 3));
        assertTrue(asked.flushSoon(), "the ask waits for the debounced flush");
        assertEquals(List.of(), asked.sends(), "no flush per ask");
        PartitionExport echoed = export(coreA.flush(a, now), 1);
        assertEquals(NodeReport.Kind.FULL, echoed.report().kind());
        assertEquals(3, echoed.echo());
        Outcome taken = coreB.onExport(b3, echoed, now);
        assertEquals(List.of(), taken.sends(), "the echoing FULL is taken: no ask");
        assertTrue(b3.isProtected(C));
    }

    @Test
    void aSettleQueryWhileWarmingFlushesFirstAndTheAnswerCountsTheFlush() {
        PartitionedLedger b = partition(1, 1, true);
        b.report(NodeReport.full("n1", 1, 1, List.of(X), List.of()), now); // n1's share in B
        assertTrue(b.warmingUp());
        SettleStatus before = b.settleStatus(1);
        assertEquals(SettleStatus.ReportId.NONE, before.sentTo(0), "nothing sent to A yet");

        Outcome o = coreB.onSettleQuery(b, "poll", true, now);
        PartitionExport flushed = export(o.sends(), 0);
        assertEquals(1, flushed.from());
        assertTrue(o.answer().warming());
        assertNotEquals(SettleStatus.ReportId.NONE, o.answer().sentTo(0), "the answer counts the flush: " + o.answer());
        assertEquals(b.settleStatus(1), o.answer());
        assertEquals(List.of(), o.logs());
    }

    @Test
    void aSettleQueryNotWarmingFlushesOnlyWhenDirty() {
        PartitionedLedger a = partitionA();
        export(coreA.flush(a, now), 1);
        SettleStatus clean = a.settleStatus(0);
        assertFalse(clean.dirty(), String.valueOf(clean));
        Outcome o = coreA.onSettleQuery(a, "poll", true, now);
        assertEquals(List.of(), o.sends(), "nothing to send: no flush");
        assertEquals(clean, o.answer());

        a.resendExportsFull(0, 1, 5); // a FULL is owed
        assertTrue(a.settleStatus(0).dirty());
        Outcome dirty = coreA.onSettleQuery(a, "poll", true, now);
        PartitionExport full = export(dirty.sends(), 1);
        assertEquals(NodeReport.Kind.FULL, full.report().kind());
        assertEquals(5, full.echo());
        assertFalse(dirty.answer().dirty(), "answered after the flush: " + dirty.answer());
        assertNotEquals(clean.sentTo(1), dirty.answer().sentTo(1), "the answer counts the FULL just sent");
    }

    /**
     * The settle round's cut (partitions-part2-plan §10, tier 2): a query takes its cut before it decides to flush, so
     * that A, not warming up and with nothing else to send, flushes its base all the same, and its answer is on the
     * cut with the base sent; B takes the cut from A's export (the marker rule), which brought cut content (x's
     * callee c, held in B's view of A): B asks for the flush a moment later.
     */
    @Test
    void aSettleQueryTakesItsCutBeforeItsFlushAndAnExportWithCutContentAsksForAFlush() {
        PartitionedLedger a = partitionA();
        PartitionedLedger b = partition(1, 1, false);
        assertEquals(List.of(), coreB.onExport(b, export(coreA.flush(a, now), 1), now).sends(), "A's first FULL");
        assertFalse(a.settleStatus(0).dirty());
        Outcome o = coreA.onSettleQuery(a, "poll", true, 7, now);
        PartitionExport based = export(o.sends(), 1);
        assertEquals(new io.blobgc.ledger.Cut(7, 1, true, List.of()), based.cut(), "the base");
        assertEquals(7, o.answer().cut());
        assertEquals(1, o.answer().cutSentTo(1));
        assertFalse(o.answer().cutDirty(), "answered after the base was sent: " + o.answer());

        Outcome got = coreB.onExport(b, based, now);
        assertEquals(List.of(), got.sends(), String.valueOf(got));
        assertEquals(7, b.cut(1), "taken from A's part");
        assertTrue(got.flushSoon(), "c came as cut content: the flush a moment later forwards below it");
        assertEquals(1, b.settleStatus(1).cutAppliedFrom(0));

        Outcome ended = coreA.onSettleQuery(a, "poll", true, 0, now);
        assertEquals(0, ended.answer().cut(), "a query of cut 0 ends it");
    }

    @Test
    void malformedAndForeignMessagesAreDropped() {
        PartitionedLedger a = partitionA();
        PartitionedLedger b = partition(1, 1, true);
        NodeReport good = export(coreA.flush(a, now), 1).report();
        NodeReport noKind = new NodeReport(good.node(), good.incarnation(), good.seq(), null, List.of(), List.of(),
                List.of(), List.of(), 0, 1, true);
        assertDropped(coreB.onExport(b, new PartitionExport(1, 1, 0, good), now), true); // from itself
        assertDropped(coreB.onExport(b, new PartitionExport(2, 1, 0, good), now), true); // no partition 2 of 2
        assertDropped(coreB.onExport(b, new PartitionExport(-1, 1, 0, good), now), true);
        assertDropped(coreB.onExport(b, new PartitionExport(0, 0, 0, good), now), false); // to another partition
        assertDropped(coreB.onExport(b, new PartitionExport(0, 1, 0, null), now), true); // no report
        assertDropped(coreB.onExport(b, new PartitionExport(0, 1, 0,
                NodeReport.full("n1", 1, 1, List.of(X), List.of())), now), true); // not A's reporter id
        assertDropped(coreB.onExport(b, new PartitionExport(0, 1, 0, noKind), now), true);
        assertTrue(b.warmUpBlockers().contains("partition:0"), "nothing applied: " + b.warmUpBlockers());

        assertDropped(coreB.onExportResend(b, new ExportResend(1, 4)), true); // from itself
        assertDropped(coreB.onExportResend(b, new ExportResend(5, 4)), true);
        assertDropped(coreB.onSettled(b, new PartitionsSettled(null)), true);
        assertDropped(coreB.onSettled(b, new PartitionsSettled(List.of(1))), true);
        Outcome otherRound = coreB.onSettled(b, new PartitionsSettled(List.of(0, 7)));
        assertEquals(Level.DEBUG, otherRound.logs().get(0).level(), "a round of another generation: " + otherRound);
        assertTrue(b.warmingUp());
        assertDropped(coreB.onSettleQuery(b, "poll", false, now), true); // no one to answer

        LinksCore isolated = new LinksCore(EntityLink.isolated("partition 1 of 2"));
        PartitionExport fromA = new PartitionExport(0, 1, 0, good);
        assertEquals(List.of(), isolated.tookOver(b));
        assertEquals(List.of(), isolated.flush(b, now));
        assertDropped(isolated.onExport(b, fromA, now), true);
        assertDropped(isolated.onExportResend(b, new ExportResend(0, 1)), true);
        assertDropped(isolated.onSettled(b, new PartitionsSettled(List.of(0, 1))), true);
        assertDropped(isolated.onSettleQuery(b, "poll", true, now), true);
        assertTrue(b.warmingUp());
    }

    @Test
    void theSettleRoundOfItsGenerationIsTakenWhileWarming() {
        PartitionedLedger b = partition(1, 1, true);
        Outcome o = coreB.onSettled(b, new PartitionsSettled(List.of(0, b.generation())));
        assertEquals(List.of(), o.sends());
        assertEquals(Level.INFO, o.logs().get(0).level(), String.valueOf(o.logs()));
    }
}
