package io.blobgc.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.blobgc.BlobGcSettings;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.Heartbeat;
import io.blobgc.protocol.ReporterProtocol.PartitionsHosted;
import io.blobgc.protocol.ReporterProtocol.ResendFull;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToPartitionInbox;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Review of 8156ec1: what the reporter's side of the partition inboxes got right. */
class HeartbeatInboxReviewHeldTest {

    private static final int P = 4;

    private static Config config(int chunk) {
        return ConfigFactory.parseString("""
                pekko.actor.provider = local
                blob-gc.heartbeat-interval = 1s
                blob-gc.reporter.acquire-timeout = 5s
                blob-gc.reporter.max-report-chunk = %d
                """.formatted(chunk)).withFallback(ManualTime.config()).withFallback(ConfigFactory.load()).resolve();
    }

    private final Partitioning partitioning = Partitioning.of(P);
    private ActorTestKit kit;
    private ManualTime time;
    private final List<TestProbe<ToCoordinator>> partitions = new ArrayList<>();
    private ActorRef<ToReporter> reporter;

    private void startByPartition(int chunk) {
        Config config = config(chunk);
        kit = ActorTestKit.create("HeartbeatInboxReviewHeldTest", config);
        time = ManualTime.get(kit.system());
        for (int p = 0; p < P; p++) partitions.add(kit.createTestProbe());
        TestProbe<ToCoordinator> conductor = kit.createTestProbe();
        reporter = kit.spawn(NodeReporter.create("node-a", CoordinatorRoute.byPartition(partitioning,
                p -> partitions.get(p).getRef(), conductor.getRef()), BlobGcSettings.from(config), null));
        for (TestProbe<ToCoordinator> p : partitions) p.expectMessageClass(ReporterProtocol.Report.class); // FULL
    }

    @AfterEach
    void stop() {
        if (kit != null) kit.shutdownTestKit();
    }

    /** Answers to an older heartbeat, of another incarnation, or naming odd partitions claim nothing. */
    @Test
    void lateOldOrOddAnswersClaimNothingAndTheirPartitionsGetTheirShareStraight() {
        startByPartition(100);
        TestProbe<ToPartitionInbox> a = kit.createTestProbe();
        kit.system().receptionist().tell(Receptionist.register(ReporterProtocol.PARTITION_INBOXES, a.getRef()));
        Heartbeat first = firstThroughInbox(a);
        long inc = first.report().incarnation(), seq = first.report().seq();
        first.replyTo().tell(new PartitionsHosted(inc, seq, Arrays.asList(null, -1, 4, 99)));
        first.replyTo().tell(new PartitionsHosted(inc, seq, null));
        first.replyTo().tell(new PartitionsHosted(inc - 1, seq, List.of(0)));
        first.replyTo().tell(new PartitionsHosted(inc, seq - 1, List.of(1)));
        first.replyTo().tell(new PartitionsHosted(inc, seq, List.of(2)));
        time.timePasses(Duration.ofSeconds(1));
        Heartbeat second = a.expectMessageClass(Heartbeat.class);
        assertEquals(List.of(0, 1, 3), second.skip());
        for (int p : List.of(0, 1, 3)) assertNotNull(straight(p));
        partitions.get(2).expectNoMessage(Duration.ofMillis(50));
        // the answer to the second arrives after the third was sent: it claims nothing, all go straight
        time.timePasses(Duration.ofSeconds(1));
        Heartbeat third = a.expectMessageClass(Heartbeat.class);
        second.replyTo().tell(new PartitionsHosted(inc, second.report().seq(), List.of(0, 1, 2, 3)));
        third.replyTo().tell(new PartitionsHosted(inc, third.report().seq(), List.of()));
        assertEquals(List.of(0, 1, 2, 3), third.skip(), "nothing answered the second in time: all straight");
        for (int p = 0; p < P; p++) assertNotNull(straight(p));
        time.timePasses(Duration.ofSeconds(1));
        Heartbeat fourth = a.expectMessageClass(Heartbeat.class);
        assertEquals(List.of(0, 1, 2, 3), fourth.skip(), "the late answer to the second claimed nothing");
        for (int p = 0; p < P; p++) assertNotNull(straight(p));
    }

    /** A FULL, chunked, goes straight to every partition, never through an inbox, claimed or not. */
    @Test
    void aChunkedFullGoesStraightEvenWhenEveryPartitionIsClaimed() {
        startByPartition(1);
        TestProbe<ToPartitionInbox> a = kit.createTestProbe();
        kit.system().receptionist().tell(Receptionist.register(ReporterProtocol.PARTITION_INBOXES, a.getRef()));
        Heartbeat first = firstThroughInbox(a);
        first.replyTo().tell(new PartitionsHosted(first.report().incarnation(), first.report().seq(),
                List.of(0, 1, 2, 3)));
        TestProbe<ReporterProtocol.AcquireReply> caller = kit.createTestProbe();
        ActorRef<Object> holder = kit.spawn(org.apache.pekko.actor.typed.javadsl.Behaviors.empty());
        List<io.blobgc.BlobHash> hs = List.of(io.blobgc.BlobHash.sha256("x".getBytes()),
                io.blobgc.BlobHash.sha256("y".getBytes()), io.blobgc.BlobHash.sha256("z".getBytes()));
        for (var h : hs) {
            reporter.tell(new NodeReporter.Acquire(holder, h, caller.getRef()));
            ReporterProtocol.Acquire ask = partitions.get(partitioning.partitionOf(h))
                    .expectMessageClass(ReporterProtocol.Acquire.class);
            ask.replyTo().tell(new ReporterProtocol.AcquireReply(h, ReporterProtocol.AcquireResult.ACQUIRED,
                    List.of(), "ok"));
            caller.receiveMessage();
        }
        reporter.tell(new ResendFull(first.report().incarnation(), first.report().seq(), "gap"));
        for (int p = 0; p < P; p++) {
            for (int c = 0; c < 3; c++) {
                NodeReport r = partitions.get(p).expectMessageClass(ReporterProtocol.Report.class).report();
                assertEquals(NodeReport.Kind.FULL, r.kind());
                assertEquals(3, r.chunks());
            }
        }
        a.expectNoMessage(Duration.ofMillis(100));
    }

    /** P = 1 / coordinator hosting: the whole route ignores inboxes, every heartbeat goes to the coordinator. */
    @Test
    void theWholeRouteIgnoresInboxes() {
        Config config = config(100);
        kit = ActorTestKit.create("HeartbeatInboxReviewHeldTestWhole", config);
        time = ManualTime.get(kit.system());
        TestProbe<ToCoordinator> coordinator = kit.createTestProbe();
        reporter = kit.spawn(NodeReporter.create("node-a", coordinator.getRef(), BlobGcSettings.from(config), null));
        TestProbe<ToPartitionInbox> a = kit.createTestProbe();
        kit.system().receptionist().tell(Receptionist.register(ReporterProtocol.PARTITION_INBOXES, a.getRef()));
        coordinator.expectMessageClass(ReporterProtocol.Report.class);
        for (int beat = 0; beat < 3; beat++) {
            time.timePasses(Duration.ofSeconds(1));
            assertEquals(0, coordinator.expectMessageClass(ReporterProtocol.Report.class).report().size());
        }
        a.expectNoMessage(Duration.ofMillis(100));
    }

    private Heartbeat firstThroughInbox(TestProbe<ToPartitionInbox> inbox) {
        for (int beat = 0; beat < 20; beat++) {
            time.timePasses(Duration.ofSeconds(1));
            Heartbeat h;
            try {
                h = inbox.expectMessageClass(Heartbeat.class, Duration.ofMillis(100));
            } catch (AssertionError none) {
                h = null;
            }
            for (int p = 0; p < P; p++) straight(p);
            if (h != null) return h;
        }
        throw new AssertionError("the inbox never got a heartbeat");
    }

    private NodeReport straight(int p) {
        try {
            return partitions.get(p).expectMessageClass(ReporterProtocol.Report.class, Duration.ofMillis(200)).report();
        } catch (AssertionError none) {
            return null;
        }
    }
}
