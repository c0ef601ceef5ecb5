package io.blobgc.coordinator;

import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.protocol.ReporterProtocol.Heartbeat;
import io.blobgc.protocol.ReporterProtocol.PartitionsHosted;
import io.blobgc.protocol.ReporterProtocol.Report;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToPartitionInbox;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.blobgc.BlobHash;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Register;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Review of 8156ec1: what the partition inbox got right. */
class PartitionInboxReviewHeldTest {

    private static ActorTestKit kit;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("PartitionInboxReviewHeldTest");
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    private static ActorRef<ToCoordinator> entity(TestProbe<ToCoordinator> probe) {
        return kit.spawn(Behaviors.receive(ToCoordinator.class).onAnyMessage(m -> {
            probe.getRef().tell(m);
            return Behaviors.same();
        }).build());
    }

    private static NodeReport beat(long seq) {
        return NodeReport.delta("n1", 5, seq, List.of(), List.of(), List.of(), List.of());
    }

    /**
     * An entity stopped and started again on the same member: the new one's Hosted may come before the old one's
     * termination; the old termination does not unlist the new one (Map.remove(key, value)).
     */
    @Test
    void anEntityStartedAgainOnTheSameMemberBeforeTheOldOneStoppedKeepsItsHeartbeats() {
        ActorRef<ToPartitionInbox> inbox = kit.spawn(PartitionInbox.create(Partitioning.of(4)));
        TestProbe<ToCoordinator> oldProbe = kit.createTestProbe(), newProbe = kit.createTestProbe();
        ActorRef<ToCoordinator> old = entity(oldProbe), renewed = entity(newProbe);
        inbox.tell(new PartitionInbox.Hosted(1, old));
        inbox.tell(new PartitionInbox.Hosted(1, renewed));
        kit.stop(old);
        TestProbe<ToReporter> reporter = kit.createTestProbe();
        // let the old one's termination reach the inbox
        newProbe.awaitAssert(() -> {
            inbox.tell(new Heartbeat(beat(3), List.of(), reporter.getRef()));
            assertEquals(3, newProbe.expectMessageClass(Report.class, Duration.ofMillis(200)).report().seq());
            assertEquals(List.of(1), reporter.expectMessageClass(PartitionsHosted.class).partitions());
            return null;
        });
        for (long seq = 4; seq < 7; seq++) {
            inbox.tell(new Heartbeat(beat(seq), List.of(), reporter.getRef()));
            assertEquals(seq, newProbe.expectMessageClass(Report.class).report().seq());
            assertEquals(List.of(1), reporter.expectMessageClass(PartitionsHosted.class).partitions());
        }
    }

    /** An entity restarted by its supervisor keeps its ActorRef: still hosted, still delivered to. */
    @Test
    void anEntityRestartedByItsSupervisorStaysHosted() {
        ActorRef<ToPartitionInbox> inbox = kit.spawn(PartitionInbox.create(Partitioning.of(4)));
        TestProbe<ToCoordinator> probe = kit.createTestProbe();
        ActorRef<ToCoordinator> e = kit.spawn(Behaviors.supervise(Behaviors.receive(ToCoordinator.class)
                .onAnyMessage(m -> {
                    if (m instanceof Report r && r.report().seq() == 2) throw new IllegalStateException("boom");
                    probe.getRef().tell(m);
                    return Behaviors.same();
                }).build()).onFailure(SupervisorStrategy.restart()));
        inbox.tell(new PartitionInbox.Hosted(2, e));
        TestProbe<ToReporter> reporter = kit.createTestProbe();
        inbox.tell(new Heartbeat(beat(2), List.of(), reporter.getRef()));
        assertEquals(List.of(2), reporter.expectMessageClass(PartitionsHosted.class).partitions());
        inbox.tell(new Heartbeat(beat(3), List.of(), reporter.getRef()));
        assertEquals(3, probe.expectMessageClass(Report.class).report().seq());
        assertEquals(List.of(2), reporter.expectMessageClass(PartitionsHosted.class).partitions());
    }

    /** A skip list with nulls, negatives, out-of-range partitions; a heartbeat without report or replyTo. */
    @Test
    void oddSkipListsAndEmptyHeartbeatsNeitherCrashNorMisdeliver() {
        ActorRef<ToPartitionInbox> inbox = kit.spawn(PartitionInbox.create(Partitioning.of(4)));
        TestProbe<ToCoordinator> zero = kit.createTestProbe(), three = kit.createTestProbe();
        inbox.tell(new PartitionInbox.Hosted(0, zero.getRef()));
        inbox.tell(new PartitionInbox.Hosted(3, three.getRef()));
        TestProbe<ToReporter> reporter = kit.createTestProbe();
        inbox.tell(new Heartbeat(null, List.of(), reporter.getRef()));
        inbox.tell(new Heartbeat(beat(2), List.of(), null));
        inbox.tell(new Heartbeat(beat(3), Arrays.asList(null, -1, 99, 3, Integer.MIN_VALUE), reporter.getRef()));
        assertEquals(new PartitionsHosted(5, 3, List.of(0, 3)), reporter.expectMessageClass(PartitionsHosted.class));
        assertEquals(3, zero.expectMessageClass(Report.class).report().seq());
        three.expectNoMessage(Duration.ofMillis(100)); // skipped
        inbox.tell(new Heartbeat(beat(4), null, reporter.getRef()));
        assertEquals(4, three.expectMessageClass(Report.class).report().seq());
        reporter.expectMessageClass(PartitionsHosted.class);
    }

    @TempDir
    Path storeRoot;

    /**
     * S6 across the two paths: a fence ask (straight, afterSeq 1) that an inbox heartbeat (seq 2) overtook is answered
     * from the view — ACQUIRED only for a blob the view holds (the node reported it), never recorded nor ACQUIRED for
     * one it does not: the heartbeat cannot make the fence answer "held" for a blob nothing protects.
     */
    @Test
    void anAcquireOvertakenByAnInboxHeartbeatIsNeverAFalseAcquired() throws Exception {
        try (PartitionKit pk = PartitionKit.local("InboxAcquireHeld", "partitions = 4", storeRoot)) {
            ActorRef<ToCoordinator> zero = pk.entity(0);
            pk.assertAlive(zero);
            BlobHash held = pk.stored(0, "held"), other = pk.stored(0, "other");
            TestProbe<Registered> registered = pk.createTestProbe();
            zero.tell(new Register(List.of(Registration.of(held), Registration.of(other)), registered.getRef()));
            assertEquals(2, registered.expectMessageClass(Registered.class, PartitionKit.SHORT).accepted().size());
            ActorRef<ToPartitionInbox> inbox = pk.spawn(PartitionInbox.create(pk.partitioning));
            inbox.tell(new PartitionInbox.Hosted(0, zero));
            TestProbe<ToReporter> reporter = pk.createTestProbe();
            zero.tell(new Report(NodeReport.full("n1", 5, 1, List.of(held), List.of()), reporter.getRef()));
            inbox.tell(new Heartbeat(beat(2), List.of(), reporter.getRef()));
            reporter.expectMessageClass(PartitionsHosted.class);
            TestProbe<AcquireReply> fence = pk.createTestProbe();
            zero.tell(new Acquire("n1", 5, 1, held, fence.getRef()));
            assertEquals(AcquireResult.ACQUIRED, fence.expectMessageClass(AcquireReply.class, PartitionKit.SHORT)
                    .result());
            zero.tell(new Acquire("n1", 5, 1, other, fence.getRef()));
            AcquireReply late = fence.expectMessageClass(AcquireReply.class, PartitionKit.SHORT);
            org.junit.jupiter.api.Assertions.assertNotEquals(AcquireResult.ACQUIRED, late.result(), "" + late);
        }
    }

    /** The control of PartitionInboxReviewTest's flap: with the listing unchanged, no FULL in steady state. */
    @Test
    void inSteadyStateHeartbeatsThroughTheInboxesCostNoFull() throws Exception {
        assertEquals(List.of(), PartitionInboxReviewTest.fullsAfter(storeRoot, false));
    }
}
