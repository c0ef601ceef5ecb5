package io.blobgc.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.BlobHash;
import io.blobgc.ledger.NodeReport;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.ResendFull;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reporter under ManualTime: heartbeat cadence, FULL/DELTA/seq, chunking, release when a holder stops. */
class NodeReporterTest {

    private static final Config CONFIG = ConfigFactory.parseString("""
            pekko.actor.provider = local
            blob-gc.heartbeat-interval = 1s
            blob-gc.reporter.max-report-chunk = 3
            blob-gc.reporter.acquire-timeout = 5s
            """).withFallback(ManualTime.config()).withFallback(ConfigFactory.load()).resolve();

    private ActorTestKit kit;
    private ManualTime time;
    private TestProbe<ToCoordinator> coordinator;
    private ActorRef<ToReporter> reporter;

    @BeforeEach
    void start() {
        kit = ActorTestKit.create("NodeReporterTest", CONFIG);
        time = ManualTime.get(kit.system());
        coordinator = kit.createTestProbe();
        reporter = kit.spawn(NodeReporter.create("node-a", coordinator.getRef(), BlobGcSettings.from(CONFIG), null));
    }

    @AfterEach
    void stop() {
        kit.shutdownTestKit();
    }

    private static BlobHash h(int i) {
        return BlobHash.sha256(("blob " + i).getBytes());
    }

    private NodeReport nextReport() {
        return coordinator.expectMessageClass(ReporterProtocol.Report.class).report();
    }

    private void acquire(ActorRef<?> holder, BlobHash hash) {
        TestProbe<AcquireReply> caller = kit.createTestProbe();
        reporter.tell(new NodeReporter.Acquire(holder, hash, caller.getRef()));
        ReporterProtocol.Acquire ask = coordinator.expectMessageClass(ReporterProtocol.Acquire.class);
        assertEquals(hash, ask.hash());
        ask.replyTo().tell(new AcquireReply(hash, AcquireResult.ACQUIRED, List.of(), "ok"));
        assertEquals(AcquireResult.ACQUIRED, caller.receiveMessage().result());
    }

    @Test
    void sendsAFullReportAtStartThenAnEmptyDeltaEveryHeartbeat() {
        NodeReport first = nextReport();
        assertEquals(NodeReport.Kind.FULL, first.kind());
        assertEquals(1, first.seq());
        for (int i = 2; i <= 4; i++) {
            time.timePasses(Duration.ofMillis(900));
            coordinator.expectNoMessage(Duration.ofMillis(50));
            time.timePasses(Duration.ofMillis(100));
            NodeReport beat = nextReport();
            assertEquals(NodeReport.Kind.DELTA, beat.kind());
            assertEquals(i, beat.seq());
            assertEquals(0, beat.size());
            assertEquals(first.incarnation(), beat.incarnation());
        }
    }

    @Test
    void reportsAcquiredBlobsAsDeltasAndReleasesThemWhenTheHolderStops() {
        nextReport();
        ActorRef<Object> holder = kit.spawn(Behaviors.empty());
        acquire(holder, h(1));
        acquire(holder, h(2));
        time.timePasses(Duration.ofSeconds(1));
        NodeReport added = nextReport();
        assertEquals(Set.of(h(1), h(2)), Set.copyOf(added.activeAdded()));
        reporter.tell(new NodeReporter.Release(holder, h(1)));
        time.timePasses(Duration.ofSeconds(1));
        assertEquals(List.of(h(1)), nextReport().activeRemoved());
        kit.stop(holder);
        TestProbe<ReporterCore.View> view = kit.createTestProbe();
        view.awaitAssert(() -> {
            reporter.tell(new NodeReporter.GetView(view.getRef()));
            assertTrue(view.receiveMessage().active().isEmpty());
            return null;
        });
        time.timePasses(Duration.ofSeconds(1));
        NodeReport released = nextReport();
        assertEquals(List.of(h(2)), released.activeRemoved());
        assertEquals(NodeReport.Kind.DELTA, released.kind());
    }

    @Test
    void aSecondHolderOfAHeldBlobNeedsNoRoundTrip() {
        nextReport();
        ActorRef<Object> a = kit.spawn(Behaviors.empty()), b = kit.spawn(Behaviors.empty());
        acquire(a, h(1));
        TestProbe<AcquireReply> caller = kit.createTestProbe();
        reporter.tell(new NodeReporter.Acquire(b, h(1), caller.getRef()));
        assertEquals(AcquireResult.ACQUIRED, caller.receiveMessage().result());
        coordinator.expectNoMessage(Duration.ofMillis(100));
        reporter.tell(new NodeReporter.Release(a, h(1)));
        time.timePasses(Duration.ofSeconds(1));
        NodeReport r = nextReport();
        assertEquals(List.of(h(1)), r.activeAdded());
        assertTrue(r.activeRemoved().isEmpty(), "b still holds it");
    }

    @Test
    void aFullReportAboveTheChunkSizeIsSplitUnderOneSeq() {
        nextReport();
        ActorRef<Object> holder = kit.spawn(Behaviors.empty());
        for (int i = 0; i < 7; i++) acquire(holder, h(i));
        TestProbe<AcquireReply> pinner = kit.createTestProbe();
        reporter.tell(new NodeReporter.PinLocal(h(0), pinner.getRef()));
        assertEquals(AcquireResult.ACQUIRED, pinner.receiveMessage().result(), "held already: no round trip");
        reporter.tell(new ResendFull(Long.MIN_VALUE, Long.MIN_VALUE, "test"));
        Set<BlobHash> active = new HashSet<>(), pins = new HashSet<>();
        NodeReport first = nextReport();
        assertEquals(NodeReport.Kind.FULL, first.kind());
        assertEquals(3, first.chunks()); // 7 active + 1 pin, 3 per chunk
        active.addAll(first.activeAdded());
        pins.addAll(first.pinsAdded());
        for (int c = 1; c < 3; c++) {
            NodeReport next = nextReport();
            assertEquals(first.seq(), next.seq());
            assertEquals(c, next.chunk());
            assertTrue(next.size() <= 3);
            active.addAll(next.activeAdded());
            pins.addAll(next.pinsAdded());
        }
        assertEquals(7, active.size());
        assertEquals(Set.of(h(0)), pins);
    }

    @Test
    void anOldResendFullRequestIsAnsweredAlready() {
        NodeReport first = nextReport();
        reporter.tell(new ResendFull(first.incarnation(), first.seq() - 1, "late"));
        coordinator.expectNoMessage(Duration.ofMillis(100));
        reporter.tell(new ResendFull(first.incarnation(), first.seq() + 1, "gap"));
        assertEquals(NodeReport.Kind.FULL, nextReport().kind());
    }

    @Test
    void aLeaseGoesThroughTheFenceAndIsDroppedWhenItExpires() {
        nextReport();
        TestProbe<ReporterCore.LeaseReply> caller = kit.createTestProbe();
        reporter.tell(new NodeReporter.SetLease("rust-vm-1", Set.of(h(9), h(8)), Set.of(), Duration.ofMillis(2500),
                caller.getRef()));
        for (int i = 0; i < 2; i++) {
            ReporterProtocol.Acquire ask = coordinator.expectMessageClass(ReporterProtocol.Acquire.class);
            var result = ask.hash().equals(h(8)) ? AcquireResult.GONE : AcquireResult.ACQUIRED;
            ask.replyTo().tell(new AcquireReply(ask.hash(), result, List.of(ask.hash()), "test"));
        }
        ReporterCore.LeaseReply lease = caller.receiveMessage();
        assertEquals(Set.of(h(9)), lease.held());
        assertEquals(Set.of(h(8)), lease.gone());
        time.timePasses(Duration.ofSeconds(1));
        NodeReport withLease = nextReport();
        assertEquals(List.of(h(9)), withLease.activeAdded());
        assertEquals(List.of(h(8)), withLease.activeRemoved(), "the gone one is withdrawn (it was asked for)");
        time.timePasses(Duration.ofSeconds(1));
        nextReport();
        time.timePasses(Duration.ofSeconds(1));
        assertEquals(List.of(h(9)), nextReport().activeRemoved());
    }

    private Set<BlobHash> viewPins() {
        TestProbe<ReporterCore.View> view = kit.createTestProbe();
        reporter.tell(new NodeReporter.GetView(view.getRef()));
        return view.receiveMessage().pins();
    }

    @Test
    void nodePinGoesThroughTheAcquireFence() {
        NodeReport first = nextReport();
        TestProbe<AcquireReply> caller = kit.createTestProbe();
        reporter.tell(new NodeReporter.PinLocal(h(5), caller.getRef()));
        ReporterProtocol.Acquire ask = coordinator.expectMessageClass(ReporterProtocol.Acquire.class);
        assertEquals(h(5), ask.hash());
        assertEquals(first.seq(), ask.afterSeq());
        time.timePasses(Duration.ofSeconds(1));
        NodeReport whilePending = nextReport();
        assertEquals(List.of(h(5)), whilePending.activeAdded(), "a pending pin is reported like a pending acquire");
        assertTrue(whilePending.pinsAdded().isEmpty());
        ask.replyTo().tell(new AcquireReply(h(5), AcquireResult.GONE, List.of(h(5)), "gone"));
        assertEquals(AcquireResult.GONE, caller.receiveMessage().result());
        assertTrue(viewPins().isEmpty(), "a GONE blob is not pinned");
        time.timePasses(Duration.ofSeconds(1));
        NodeReport afterGone = nextReport();
        assertEquals(List.of(h(5)), afterGone.activeRemoved(), "the gone one is withdrawn (it was asked for)");
        assertTrue(afterGone.pinsAdded().isEmpty(), "the gone pin is never reported");

        reporter.tell(new NodeReporter.PinLocal(h(6), caller.getRef()));
        ask = coordinator.expectMessageClass(ReporterProtocol.Acquire.class);
        assertEquals(h(6), ask.hash());
        ask.replyTo().tell(new AcquireReply(h(6), AcquireResult.ACQUIRED, List.of(), "ok"));
        assertEquals(AcquireResult.ACQUIRED, caller.receiveMessage().result());
        assertEquals(Set.of(h(6)), viewPins());
        time.timePasses(Duration.ofSeconds(1));
        assertEquals(List.of(h(6)), nextReport().pinsAdded());
        reporter.tell(new NodeReporter.PinLocal(h(6), caller.getRef()));
        assertEquals(AcquireResult.ACQUIRED, caller.receiveMessage().result());
        coordinator.expectNoMessage(Duration.ofMillis(100)); // pinned already: no round trip
    }

    @Test
    void leasePinsGoThroughTheAcquireFence() {
        nextReport();
        TestProbe<ReporterCore.LeaseReply> caller = kit.createTestProbe();
        reporter.tell(new NodeReporter.SetLease("rust-vm-1", Set.of(), Set.of(h(6), h(7)), Duration.ofSeconds(10),
                caller.getRef()));
        for (int i = 0; i < 2; i++) {
            ReporterProtocol.Acquire ask = coordinator.expectMessageClass(ReporterProtocol.Acquire.class);
            var result = ask.hash().equals(h(7)) ? AcquireResult.GONE : AcquireResult.ACQUIRED;
            ask.replyTo().tell(new AcquireReply(ask.hash(), result, List.of(ask.hash()), "test"));
        }
        ReporterCore.LeaseReply lease = caller.receiveMessage();
        assertEquals(Set.of(h(7)), lease.gone(), "the gone pin is left out and listed");
        assertEquals(Set.of(h(6)), viewPins());
        time.timePasses(Duration.ofSeconds(1));
        NodeReport withLease = nextReport();
        assertEquals(List.of(h(6)), withLease.pinsAdded());
        // renewed with the same pin: nothing new to fence
        reporter.tell(new NodeReporter.SetLease("rust-vm-1", Set.of(), Set.of(h(6)), Duration.ofSeconds(10),
                caller.getRef()));
        assertTrue(caller.receiveMessage().gone().isEmpty());
        coordinator.expectNoMessage(Duration.ofMillis(100));
    }
}
