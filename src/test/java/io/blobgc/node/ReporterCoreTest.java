package io.blobgc.node;

import io.blobgc.BlobHash;
import io.blobgc.ledger.NodeReport;
import io.blobgc.node.ReporterCore.AskAcquire;
import io.blobgc.node.ReporterCore.Output;
import io.blobgc.node.ReporterCore.ReplyAcquire;
import io.blobgc.node.ReporterCore.ReplyLease;
import io.blobgc.node.ReporterCore.SendReport;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The core alone, driven as a simulation drives it: Strings for holders and reply targets, outputs as values. */
class ReporterCoreTest {

    private final ReporterCore core = new ReporterCore("node-a", 7, 100);

    private static BlobHash h(int i) {
        return BlobHash.sha256(("blob " + i).getBytes());
    }

    private static <T extends Output> List<T> only(Class<T> type, List<Output> out) {
        return out.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static AskAcquire ask(List<Output> out) {
        List<AskAcquire> asks = only(AskAcquire.class, out);
        assertEquals(1, asks.size(), out.toString());
        return asks.get(0);
    }

    private static AcquireReply reply(BlobHash h, AcquireResult r) {
        return new AcquireReply(h, r, List.of(), "test");
    }

    private NodeReport report() {
        List<SendReport> sent = only(SendReport.class, core.report());
        assertEquals(1, sent.size());
        return sent.get(0).report();
    }

    @Test
    void aFrameAcquireIsAskedAfterTheLastSeqAndHeldOnlyWhenAcquired() {
        assertEquals(NodeReport.Kind.FULL, report().kind());
        AskAcquire a = ask(core.acquire("frame-1", h(1), "caller"));
        assertEquals(1, a.afterSeq());
        List<Output> out = core.acquireAnswered(a.ask(), reply(h(1), AcquireResult.ACQUIRED));
        assertEquals(List.of(new ReporterCore.Watch("frame-1"),
                new ReplyAcquire("caller", reply(h(1), AcquireResult.ACQUIRED))), out);
        assertEquals(List.of(), core.acquireAnswered(a.ask(), reply(h(1), AcquireResult.GONE)), "duplicate answer");
        assertEquals(List.of(h(1)), report().activeAdded());
        assertEquals(List.of(new ReporterCore.Unwatch("frame-1")), core.release("frame-1", h(1)));
        assertEquals(List.of(h(1)), report().activeRemoved());
    }

    @Test
    void anUnansweredAskFailsItsWaitersAndTheNextReportIsFull() {
        report();
        AskAcquire a = ask(core.pin(h(2), "pinner"));
        List<Output> out = core.acquireFailed(a.ask(), "timeout");
        assertEquals(AcquireResult.UNAVAILABLE, only(ReplyAcquire.class, out).get(0).reply().result());
        assertTrue(core.view().pins().isEmpty());
        NodeReport next = report();
        assertEquals(NodeReport.Kind.FULL, next.kind());
        assertTrue(next.pinsAdded().isEmpty());
    }

    @Test
    void anUnpinWhileTheFenceIsAskedCancelsThePin() {
        report();
        AskAcquire a = ask(core.pin(h(3), "pinner"));
        core.unpin(h(3));
        core.acquireAnswered(a.ask(), reply(h(3), AcquireResult.ACQUIRED));
        assertTrue(core.view().pins().isEmpty());
        assertEquals(List.of(h(3)), report().activeRemoved(), "asked for: withdrawn");
    }

    @Test
    void anAnswerForALeaseRenewedWithoutThatBlobHoldsNothing() {
        report();
        AskAcquire pinAsk = ask(core.setLease("vm", Set.of(), Set.of(h(4)), Duration.ofSeconds(5), "r1"));
        List<Output> renewed = core.setLease("vm", Set.of(), Set.of(), Duration.ofSeconds(5), "r2");
        assertEquals(Set.of(), only(ReplyLease.class, renewed).get(0).reply().pinned());
        List<Output> out = core.acquireAnswered(pinAsk.ask(), reply(h(4), AcquireResult.ACQUIRED));
        assertEquals(Set.of(), only(ReplyLease.class, out).get(0).reply().pinned());
        assertTrue(core.view().pins().isEmpty());
        AskAcquire again = ask(core.setLease("vm", Set.of(h(5)), Set.of(h(5)), Duration.ofSeconds(5), "r3"));
        ReplyLease r3 = only(ReplyLease.class, core.acquireAnswered(again.ask(), reply(h(5), AcquireResult.ACQUIRED)))
                .get(0);
        assertEquals(new ReporterCore.LeaseReply("vm", Set.of(h(5)), Set.of(h(5)), Set.of(), Set.of()), r3.reply());
    }
}
