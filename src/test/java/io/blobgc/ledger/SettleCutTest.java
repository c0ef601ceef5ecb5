package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.blobgc.ledger.PartitionedLedgerTest.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The settle round's cut, its bookkeeping only (partitions-part2-plan §10, tier 2, §10.7 "Exports/NodeViews parts"):
 * what a partition takes as its cut's base, what it forwards as cut content from its imports, the cut part each
 * export carries, the marker rule, and the marks the round will compare. The harness is {@link SettleRoundTest}'s:
 * four hosting ledgers recovering together, the chain {@code x (0) -> c (1) -> d (2) -> e (3) -> y (0)}, exports
 * delivered in the order sent, a FULL asked for on NEED_FULL.
 */
class SettleCutTest {

    private final BlobHash x = in(0, 1), c = in(1, 1), d = in(2, 1), e = in(3, 1), y = in(0, 2);
    private final PartitionedLedger[] hosts = new PartitionedLedger[4];
    private final List<PartitionedLedger.Export> inFlight = new ArrayList<>();
    private long now = 1_700_000_000_000L;
    private long nodeSeq;

    SettleCutTest() {
        SettleRoundTest.recoverTogether(hosts, List.of(x, c, d, e, y), now);
    }

    private void node(NodeReport r) {
        for (PartitionedLedger h : hosts) assertEquals(ReportOutcome.APPLIED, h.report(r, now));
    }

    /** Every partition flushes (its exports go in flight); what each sent, in order. */
    private List<PartitionedLedger.Export> flushAll() {
        now += 100;
        List<PartitionedLedger.Export> out = new ArrayList<>();
        for (int p = 0; p < hosts.length; p++) out.addAll(hosts[p].flushExports(p, now));
        inFlight.addAll(out);
        return out;
    }

    private ReportOutcome deliver(PartitionedLedger.Export ex) {
        assertTrue(inFlight.remove(ex));
        ReportOutcome o = hosts[ex.to()].deliverExport(ex, now);
        if (o == ReportOutcome.NEED_FULL) hosts[ex.from()].resendExportsFull(ex.from(), ex.to(), hosts[ex.to()].generation());
        return o;
    }

    private void deliverAll() {
        while (!inFlight.isEmpty()) deliver(inFlight.get(0));
    }

    private Map<Integer, SettleStatus> statuses() {
        Map<Integer, SettleStatus> out = new java.util.TreeMap<>();
        for (int p = 0; p < hosts.length; p++) out.put(p, hosts[p].settleStatus(p));
        return out;
    }

    /**
     * n1's FULL of {@code held}, and the exports exchanged until every view is complete and still: every partition has
     * all its inputs in, and a flush sends nothing with content ({@link Exports#withContent}), only heartbeats.
     */
    private void warmViews(BlobHash... held) {
        node(NodeReport.full("n1", 1, ++nodeSeq, List.of(held), List.of()));
        for (int i = 0; ; i++) {
            assertTrue(i < 10, "the exports do not settle");
            boolean inputsIn = statuses().values().stream().allMatch(SettleStatus::haveAllInputs);
            List<PartitionedLedger.Export> sent = flushAll();
            deliverAll();
            if (inputsIn && sent.stream().noneMatch(ex -> Exports.withContent(ex.report()))) return;
        }
    }

    private PartitionedLedger.Export exportOf(List<PartitionedLedger.Export> sent, int from, int to) {
        return sent.stream().filter(ex -> ex.from() == from && ex.to() == to).findFirst().orElseThrow();
    }

    /** Every pair's cut marks met: what p sent q in the cut is what q applied from p. */
    private void assertCutMarksMeet(long cut) {
        Map<Integer, SettleStatus> s = statuses();
        for (int p = 0; p < hosts.length; p++) {
            assertEquals(cut, s.get(p).cut(), "partition " + p + "'s cut");
            assertFalse(s.get(p).cutDirty(), "partition " + p + " has cut content to forward");
            for (int q = 0; q < hosts.length; q++) {
                if (q == p) continue;
                assertTrue(s.get(p).cutSentTo(q) > 0, p + " sent " + q + " its base");
                assertEquals(s.get(p).cutSentTo(q), s.get(q).cutAppliedFrom(p), p + " -> " + q);
            }
        }
    }

    @Test
    void noCutMeansNoCutPartsAndNoCutMarks() {
        node(NodeReport.full("n1", 1, ++nodeSeq, List.of(x), List.of()));
        for (PartitionedLedger.Export ex : flushAll()) assertNull(ex.cut(), "no cut taken: " + ex);
        deliverAll();
        for (SettleStatus s : statuses().values()) {
            assertEquals(0, s.cut());
            assertFalse(s.cutDirty());
            for (int q = 0; q < 4; q++) if (q != s.partition()) assertEquals(0, s.cutSentTo(q));
        }
    }

    /** Held when the cut is taken: the whole chain below x is the cut's content from the bases alone. */
    @Test
    void whatIsExportedWhenTheCutIsTakenIsItsBase() {
        warmViews(x);
        for (int p = 0; p < 4; p++) hosts[p].beginCut(p, 1);
        for (SettleStatus s : statuses().values()) {
            assertEquals(1, s.cut());
            assertTrue(s.cutDirty(), "its base is to be sent: " + s);
        }
        List<PartitionedLedger.Export> sent = flushAll();
        for (PartitionedLedger.Export ex : sent) {
            assertEquals(new Cut(1, 1, true, List.of()), ex.cut(), "the base: " + ex);
        }
        assertEquals(Set.of(c), hosts[0].cutContent(0, 1));
        assertEquals(Set.of(d), hosts[1].cutContent(1, 2));
        deliverAll();
        assertTrue(hosts[1].settleStatus(1).cutDirty(), "c came as cut content: its callees are to be forwarded");
        List<PartitionedLedger.Export> again = flushAll();
        deliverAll();
        for (PartitionedLedger.Export ex : again) {
            assertEquals(new Cut(1, 1, false, List.of()), ex.cut(), "nothing new: in the bases already: " + ex);
        }
        assertCutMarksMeet(1);
    }

    /**
     * Taken before x's hold reached 1: c is 0's base, and 1, 2 and 3 forward the rest of the chain hop by hop, as
     * cut content added, each hop moving its sender's cut seq, until the marks meet.
     */
    @Test
    void importsForwardTheClosureHopByHop() {
        warmViews();
        node(NodeReport.delta("n1", 1, ++nodeSeq, List.of(x), List.of(), List.of(), List.of()));
        for (int p = 0; p < 4; p++) hosts[p].beginCut(p, 1);
        List<PartitionedLedger.Export> sent = flushAll();
        assertEquals(Set.of(c), hosts[0].cutContent(0, 1));
        assertEquals(Set.of(), hosts[1].cutContent(1, 2), "1 does not hold c yet: its base is empty");
        deliverAll();
        BlobHash[] hops = {d, e, y};
        for (int hop = 0; hop < 3; hop++) {
            int from = hop + 1, to = (hop + 2) % 4;
            sent = flushAll();
            PartitionedLedger.Export ex = exportOf(sent, from, to);
            assertEquals(new Cut(1, 2, false, List.of(hops[hop])), ex.cut(), "hop " + from + " -> " + to);
            assertEquals(Set.of(hops[hop]), hosts[from].cutContent(from, to));
            deliverAll();
        }
        flushAll();
        deliverAll();
        assertCutMarksMeet(1);
        assertEquals(2, hosts[0].settleStatus(0).cutAppliedFrom(3), "3's base, then y");
    }

    /** The marker rule: a part of a newer cut takes it at its target, before the target's own query. */
    @Test
    void aCutPartSeenBeforeTheQueryTakesTheCut() {
        warmViews(x);
        hosts[0].beginCut(0, 3);
        List<PartitionedLedger.Export> sent = hosts[0].flushExports(0, now);
        inFlight.addAll(sent);
        assertEquals(0, hosts[1].cut(1));
        assertEquals(ReportOutcome.APPLIED, deliver(exportOf(sent, 0, 1)));
        assertEquals(3, hosts[1].cut(1), "taken from 0's part");
        SettleStatus s = hosts[1].settleStatus(1);
        assertEquals(1, s.cutAppliedFrom(0));
        assertTrue(s.cutDirty(), "its base, and c imported");
        // a part of an older cut is ignored: 2 is on a newer one
        hosts[2].beginCut(2, 4);
        assertEquals(ReportOutcome.APPLIED, deliver(exportOf(sent, 0, 2)));
        assertEquals(4, hosts[2].cut(2));
        assertEquals(0, hosts[2].settleStatus(2).cutAppliedFrom(0));
        // and an older query too
        hosts[2].beginCut(2, 3);
        assertEquals(4, hosts[2].cut(2));
    }

    /** A lost export with cut content: the gap asks for a FULL, which carries a base, and the marks meet again. */
    @Test
    void aLostExportWithCutAdditionsIsMadeUpByTheFull() {
        warmViews();
        node(NodeReport.delta("n1", 1, ++nodeSeq, List.of(x), List.of(), List.of(), List.of()));
        for (int p = 0; p < 4; p++) hosts[p].beginCut(p, 1);
        flushAll();
        deliverAll();
        List<PartitionedLedger.Export> sent = flushAll(); // 1 forwards d to 2: lost
        PartitionedLedger.Export lost = exportOf(sent, 1, 2);
        assertEquals(List.of(d), lost.cut().added());
        inFlight.remove(lost);
        deliverAll();
        sent = flushAll(); // the next one leaves a gap: 2 asks for a FULL
        inFlight.remove(exportOf(sent, 1, 2));
        inFlight.add(0, exportOf(sent, 1, 2));
        assertEquals(ReportOutcome.NEED_FULL, deliver(exportOf(sent, 1, 2)));
        deliverAll();
        assertTrue(hosts[1].settleStatus(1).cutSentTo(2) != hosts[2].settleStatus(2).cutAppliedFrom(1));
        sent = flushAll();
        PartitionedLedger.Export full = exportOf(sent, 1, 2);
        assertEquals(NodeReport.Kind.FULL, full.report().kind());
        assertTrue(full.cut().base(), "a FULL carries a base");
        deliverAll();
        for (int i = 0; i < 4; i++) {
            flushAll();
            deliverAll();
        }
        assertCutMarksMeet(1);
        assertEquals(Set.of(y), hosts[3].cutContent(3, 0), "the chain went on from the FULL's base");
    }

    @Test
    void aCutEndsAtZeroAndWhenThePartitionsSettle() {
        warmViews(x);
        for (int p = 0; p < 4; p++) hosts[p].beginCut(p, 1);
        flushAll();
        deliverAll();
        hosts[1].beginCut(1, 0);
        assertEquals(0, hosts[1].cut(1));
        SettleStatus s = hosts[1].settleStatus(1);
        assertEquals(0, s.cutSentTo(0));
        assertEquals(0, s.cutAppliedFrom(0));
        assertFalse(s.cutDirty());
        for (PartitionedLedger.Export ex : hosts[1].flushExports(1, now)) assertNull(ex.cut());
        hosts[0].partitionsSettled();
        assertEquals(0, hosts[0].cut(0));
        assertEquals(0, hosts[0].settleStatus(0).cutAppliedFrom(3));
    }

    /** The cut changes nothing that the exports carry: the same reports, with or without a cut. */
    @Test
    void theCutChangesNoReport() {
        SettleCutTest other = new SettleCutTest();
        for (SettleCutTest t : List.of(this, other)) {
            t.node(NodeReport.full("n1", 1, ++t.nodeSeq, List.of(t.x), List.of()));
        }
        for (int p = 0; p < 4; p++) hosts[p].beginCut(p, 1);
        for (int i = 0; i < 8; i++) {
            List<PartitionedLedger.Export> a = flushAll(), b = other.flushAll();
            assertEquals(b.stream().map(PartitionedLedger.Export::report).toList(),
                    a.stream().map(PartitionedLedger.Export::report).toList(), "flush " + i);
            deliverAll();
            other.deliverAll();
        }
    }
}
