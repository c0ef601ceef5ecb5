package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.Heartbeat;
import io.blobgc.protocol.ReporterProtocol.PartitionsHosted;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToPartitionInbox;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A member's partition inbox (issue 25, step 2): a heartbeat reaches each partition entity it hosts, but those the
 * reporter served itself, as that partition's share with the reporter to answer; it answers which partitions it hosts,
 * and forgets an entity that stopped.
 */
class PartitionInboxTest {

    private static ActorTestKit kit;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("PartitionInboxTest");
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    /** An entity that passes on what it gets, so that it can be stopped while the probe lives on. */
    private static ActorRef<ToCoordinator> entity(TestProbe<ToCoordinator> probe) {
        return kit.spawn(Behaviors.receive(ToCoordinator.class).onAnyMessage(m -> {
            probe.getRef().tell(m);
            return Behaviors.same();
        }).build());
    }

    @Test
    void aHeartbeatReachesEachHostedPartitionButTheSkippedAndTheInboxSaysWhichItHosts() {
        Partitioning four = Partitioning.of(4);
        ActorRef<ToPartitionInbox> inbox = kit.spawn(PartitionInbox.create(four));
        List<TestProbe<ToCoordinator>> probes = List.of(kit.createTestProbe(), kit.createTestProbe(),
                kit.createTestProbe(), kit.createTestProbe());
        ActorRef<ToCoordinator> zero = entity(probes.get(0));
        inbox.tell(new PartitionInbox.Hosted(0, zero));
        inbox.tell(new PartitionInbox.Hosted(2, entity(probes.get(2))));
        inbox.tell(new PartitionInbox.Hosted(3, entity(probes.get(3))));
        TestProbe<ToReporter> reporter = kit.createTestProbe();
        NodeReport beat = NodeReport.delta("n1", 5, 9, List.of(), List.of(), List.of(), List.of());
        inbox.tell(new Heartbeat(beat, List.of(3), reporter.getRef()));

        for (int p : List.of(0, 2)) {
            Report got = probes.get(p).expectMessageClass(Report.class);
            assertEquals(beat.shares(four).get(p), got.report());
            assertEquals(reporter.getRef(), got.replyTo(), "the partition answers the reporter itself");
        }
        probes.get(3).expectNoMessage(Duration.ofMillis(50)); // skipped: the reporter sent it its share
        probes.get(1).expectNoMessage(Duration.ofMillis(10)); // hosted elsewhere
        assertEquals(new PartitionsHosted(5, 9, List.of(0, 2, 3)), reporter.expectMessageClass(PartitionsHosted.class));

        kit.stop(zero);
        reporter.awaitAssert(() -> {
            inbox.tell(new Heartbeat(beat, List.of(), reporter.getRef()));
            assertEquals(List.of(2, 3), reporter.expectMessageClass(PartitionsHosted.class).partitions());
            return null;
        });
    }

    @Test
    void aReportWithHashesIsSplitIntoShares() {
        Partitioning four = Partitioning.of(4);
        ActorRef<ToPartitionInbox> inbox = kit.spawn(PartitionInbox.create(four));
        TestProbe<ToCoordinator> one = kit.createTestProbe();
        inbox.tell(new PartitionInbox.Hosted(1, one.getRef()));
        BlobHash inOne = null, elsewhere = null;
        for (int i = 0; inOne == null || elsewhere == null; i++) {
            BlobHash h = BlobHash.sha256(("h" + i).getBytes());
            if (four.partitionOf(h) == 1) inOne = h;
            else elsewhere = h;
        }
        TestProbe<ToReporter> reporter = kit.createTestProbe();
        NodeReport r = NodeReport.delta("n1", 5, 10, List.of(inOne, elsewhere), List.of(), List.of(), List.of());
        inbox.tell(new Heartbeat(r, null, reporter.getRef()));
        assertEquals(List.of(inOne), one.expectMessageClass(Report.class).report().activeAdded());
        reporter.expectMessageClass(ReporterProtocol.PartitionsHosted.class);
    }
}
