package io.blobgc.node;

import io.blobgc.BlobHash;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 25, step 2: a reporter of partition entities ({@link CoordinatorRoute#byPartition}) sends each report's share
 * straight to its partition — every partition gets every seq, its heartbeat an empty share — and each fence ask to the
 * hash's partition; registrations go to the conductor; the conductor sees no report and no ask.
 */
class NodeReporterByPartitionTest {

    private static final int P = 4;
    private final Partitioning partitioning = Partitioning.of(P);
    private ProbedPartitions probed;
    private ActorTestKit kit;
    private ManualTime time;
    private List<TestProbe<ToCoordinator>> partitions;
    private TestProbe<ToCoordinator> conductor;
    private ActorRef<ToReporter> reporter;

    @BeforeEach
    void start() {
        probed = new ProbedPartitions("NodeReporterByPartitionTest", P);
        kit = probed.kit;
        time = probed.time;
        partitions = probed.partitions;
        conductor = probed.conductor;
        reporter = probed.reporter;
    }

    @AfterEach
    void stop() {
        probed.close();
    }

    /** A hash of partition {@code p}, the {@code i}th found. */
    private BlobHash inPartition(int p, int i) {
        int found = 0;
        for (int n = 0; ; n++) {
            BlobHash h = BlobHash.sha256(("blob " + n).getBytes());
            if (partitioning.partitionOf(h) == p && found++ == i) return h;
        }
    }

    /** The next report's shares, partition by partition. */
    private List<NodeReport> nextShares() {
        List<NodeReport> shares = new ArrayList<>();
        for (TestProbe<ToCoordinator> p : partitions) {
            shares.add(p.expectMessageClass(ReporterProtocol.Report.class).report());
        }
        return shares;
    }

    private void acquire(ActorRef<?> holder, BlobHash hash) {
        TestProbe<AcquireReply> caller = kit.createTestProbe();
        reporter.tell(new NodeReporter.Acquire(holder, hash, caller.getRef()));
        int owner = partitioning.partitionOf(hash);
        ReporterProtocol.Acquire ask = partitions.get(owner).expectMessageClass(ReporterProtocol.Acquire.class);
        assertEquals(hash, ask.hash());
        for (int p = 0; p < P; p++) if (p != owner) partitions.get(p).expectNoMessage(Duration.ofMillis(20));
        ask.replyTo().tell(new AcquireReply(hash, AcquireResult.ACQUIRED, List.of(), "ok"));
        assertEquals(AcquireResult.ACQUIRED, caller.receiveMessage().result());
    }

    @Test
    void everyPartitionGetsEverySeqItsShareAndTheConductorNone() {
        List<NodeReport> first = nextShares();
        for (NodeReport r : first) {
            assertEquals(NodeReport.Kind.FULL, r.kind());
            assertEquals(1, r.seq());
            assertEquals(0, r.size());
        }
        ActorRef<Object> holder = kit.spawn(Behaviors.empty());
        BlobHash a = inPartition(1, 0), b = inPartition(3, 0), c = inPartition(3, 1);
        acquire(holder, a);
        acquire(holder, b);
        acquire(holder, c);
        time.timePasses(Duration.ofSeconds(1));
        List<NodeReport> added = nextShares();
        for (int p = 0; p < P; p++) {
            assertEquals(NodeReport.Kind.DELTA, added.get(p).kind());
            assertEquals(2, added.get(p).seq(), "every partition gets seq 2, its share empty or not");
        }
        assertEquals(Set.of(), Set.copyOf(added.get(0).activeAdded()));
        assertEquals(Set.of(a), Set.copyOf(added.get(1).activeAdded()));
        assertEquals(Set.of(), Set.copyOf(added.get(2).activeAdded()));
        assertEquals(Set.of(b, c), Set.copyOf(added.get(3).activeAdded()));
        time.timePasses(Duration.ofSeconds(1));
        for (NodeReport beat : nextShares()) { // the heartbeat: an empty share for each
            assertEquals(3, beat.seq());
            assertEquals(0, beat.size());
        }
        conductor.expectNoMessage(Duration.ofMillis(50));
    }

    @Test
    void aFullAskedByOnePartitionGoesToEveryPartitionOnceEach() {
        nextShares();
        ActorRef<Object> holder = kit.spawn(Behaviors.empty());
        BlobHash a = inPartition(2, 0);
        acquire(holder, a);
        time.timePasses(Duration.ofSeconds(1));
        nextShares();
        // partition 2 lost seq 2 (say): it asks for a FULL; so does partition 0, about the same seq
        reporter.tell(new ResendFull(incarnation(), 2, "gap"));
        List<NodeReport> full = nextShares();
        reporter.tell(new ResendFull(full.get(0).incarnation(), 2, "gap"));
        for (int p = 0; p < P; p++) {
            assertEquals(NodeReport.Kind.FULL, full.get(p).kind());
            assertEquals(3, full.get(p).seq());
            assertEquals(p == 2 ? Set.of(a) : Set.of(), new HashSet<>(full.get(p).activeAdded()));
        }
        for (TestProbe<ToCoordinator> p : partitions) p.expectNoMessage(Duration.ofMillis(50)); // answered already
    }

    @Test
    void registrationsGoToTheConductor() {
        nextShares();
        TestProbe<ReporterProtocol.Registered> caller = kit.createTestProbe();
        List<Registration> batch = List.of(new Registration(inPartition(1, 0), List.of()));
        reporter.tell(new NodeReporter.Register(batch, caller.getRef()));
        assertEquals(batch, conductor.expectMessageClass(ReporterProtocol.Register.class).registrations());
        for (TestProbe<ToCoordinator> p : partitions) p.expectNoMessage(Duration.ofMillis(20));
    }

    @Test
    void aHeartbeatGoesOnceToEachMembersInboxAndStraightOnlyToThePartitionsNoInboxClaimed() {
        nextShares(); // the FULL at start: straight to every partition
        // one inbox for four partitions: through it, a heartbeat costs two messages (it and the answer), not four
        List<TestProbe<ReporterProtocol.ToPartitionInbox>> inboxes = List.of(kit.createTestProbe());
        for (var inbox : inboxes) {
            kit.system().receptionist().tell(org.apache.pekko.actor.typed.receptionist.Receptionist.register(
                    ReporterProtocol.PARTITION_INBOXES, inbox.getRef()));
        }
        // until the listing reaches the reporter, heartbeats go straight to every partition
        ReporterProtocol.Heartbeat first = null;
        for (int beat = 0; first == null && beat < 20; beat++) {
            time.timePasses(Duration.ofSeconds(1));
            nextShares();
            first = pollHeartbeat(inboxes.get(0));
        }
        assertTrue(first != null, "the inboxes get the heartbeats once the receptionist lists them");
        assertEquals(List.of(0, 1, 2, 3), first.skip(), "no inbox claimed a partition yet: each got its share");
        // the member hosts 0, 1 and 2 (the answer may come in parts); an answer about an older heartbeat counts for
        // nothing
        first.replyTo().tell(new ReporterProtocol.PartitionsHosted(first.report().incarnation(),
                first.report().seq() - 1, List.of(3)));
        first.replyTo().tell(new ReporterProtocol.PartitionsHosted(first.report().incarnation(),
                first.report().seq(), List.of(0, 1)));
        first.replyTo().tell(new ReporterProtocol.PartitionsHosted(first.report().incarnation(),
                first.report().seq(), List.of(2)));
        time.timePasses(Duration.ofSeconds(1));
        NodeReport straight = partitions.get(3).expectMessageClass(ReporterProtocol.Report.class).report();
        assertEquals(first.report().seq() + 1, straight.seq());
        for (int p = 0; p < 3; p++) partitions.get(p).expectNoMessage(Duration.ofMillis(50));
        for (var inbox : inboxes) {
            ReporterProtocol.Heartbeat h = inbox.expectMessageClass(ReporterProtocol.Heartbeat.class);
            assertEquals(List.of(3), h.skip());
            assertEquals(straight.seq(), h.report().seq());
            assertEquals(0, h.report().size());
        }
        // a report with content goes straight to every partition, never through an inbox
        ActorRef<Object> holder = kit.spawn(Behaviors.empty());
        BlobHash a = inPartition(1, 0);
        acquire(holder, a);
        time.timePasses(Duration.ofSeconds(1));
        assertEquals(Set.of(a), Set.copyOf(nextShares().get(1).activeAdded()));
        for (var inbox : inboxes) inbox.expectNoMessage(Duration.ofMillis(50));
        conductor.expectNoMessage(Duration.ofMillis(20));
    }

    @Test
    void withTwoInboxesForFourPartitionsAHeartbeatGoesStraight() {
        nextShares();
        List<TestProbe<ReporterProtocol.ToPartitionInbox>> inboxes = List.of(kit.createTestProbe(),
                kit.createTestProbe());
        for (var inbox : inboxes) {
            kit.system().receptionist().tell(org.apache.pekko.actor.typed.receptionist.Receptionist.register(
                    ReporterProtocol.PARTITION_INBOXES, inbox.getRef()));
        }
        TestProbe<org.apache.pekko.actor.typed.receptionist.Receptionist.Listing> listing = kit.createTestProbe();
        listing.awaitAssert(() -> {
            kit.system().receptionist().tell(org.apache.pekko.actor.typed.receptionist.Receptionist.find(
                    ReporterProtocol.PARTITION_INBOXES, listing.getRef()));
            assertEquals(2, listing.receiveMessage().getServiceInstances(ReporterProtocol.PARTITION_INBOXES).size());
            return null;
        });
        for (int beat = 0; beat < 5; beat++) { // two inboxes and their answers would cost four messages, as straight
            time.timePasses(Duration.ofSeconds(1));
            for (NodeReport share : nextShares()) assertEquals(0, share.size());
            for (var inbox : inboxes) inbox.expectNoMessage(Duration.ofMillis(20));
        }
    }

    private static ReporterProtocol.Heartbeat pollHeartbeat(TestProbe<ReporterProtocol.ToPartitionInbox> inbox) {
        try {
            return inbox.expectMessageClass(ReporterProtocol.Heartbeat.class, Duration.ofMillis(100));
        } catch (AssertionError none) {
            return null;
        }
    }

    /** The reporter's incarnation, read from its view. */
    private long incarnation() {
        TestProbe<ReporterCore.View> view = kit.createTestProbe();
        reporter.tell(new NodeReporter.GetView(view.getRef()));
        return view.receiveMessage().incarnation();
    }
}
