package io.blobgc.coordinator;

import io.blobgc.BlobHash;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.blobgc.protocol.ReporterProtocol.ReportRejected;
import io.blobgc.protocol.ReporterProtocol.ResendFull;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review of 8156ec1: the partition inbox is a system actor with no supervision, on every member that hosts
 * partitions, and it takes {@link Heartbeat}s from any member. One malformed heartbeat stops it for good (design §6:
 * bad input gives an error reply or a log line, never a crash); the entities that start on that member afterwards
 * tell a dead inbox, and the member's heartbeats cost one message per partition again until the JVM restarts. Each
 * test here failed on 8156ec1 and passes since: an inbox skips a malformed heartbeat (and is resumed after any
 * failure), a partition entity does not answer a report overtaken by a later one, and a listing change drops the
 * route's claims. Not fixed (a protocol change): a heartbeat that overtakes a straight FULL is a gap, and costs
 * another FULL (partitions-part2-plan, step 2b).
 */
class PartitionInboxReviewTest {

    private static ActorTestKit kit;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("PartitionInboxReviewTest");
    }

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void aHeartbeatListingANullHashDoesNotStopTheInbox() {
        Partitioning four = Partitioning.of(4);
        ActorRef<ToPartitionInbox> inbox = kit.spawn(PartitionInbox.create(four));
        TestProbe<ToCoordinator> zero = kit.createTestProbe();
        inbox.tell(new PartitionInbox.Hosted(0, zero.getRef()));
        TestProbe<ToReporter> reporter = kit.createTestProbe();
        // as CBOR can carry it: a list with a null element (NodeReport keeps null lists out, not null elements)
        NodeReport bad = NodeReport.delta("n1", 5, 9, Arrays.asList((BlobHash) null), List.of(), List.of(), List.of());
        inbox.tell(new Heartbeat(bad, List.of(), reporter.getRef()));
        boolean stopped;
        try {
            kit.createTestProbe().expectTerminated(inbox, Duration.ofSeconds(1));
            stopped = true;
        } catch (AssertionError alive) {
            stopped = false;
        }
        assertEquals(false, stopped, "one heartbeat with a null hash stopped the inbox (NullPointerException in "
                + "NodeReport.shares; a system actor without supervision is not started again)");

        NodeReport beat = NodeReport.delta("n1", 5, 10, List.of(), List.of(), List.of(), List.of());
        inbox.tell(new Heartbeat(beat, List.of(), reporter.getRef()));
        assertEquals(new PartitionsHosted(5, 10, List.of(0)), reporter.expectMessageClass(PartitionsHosted.class,
                Duration.ofSeconds(2)), "the inbox stopped on a malformed heartbeat (NullPointerException in "
                + "NodeReport.shares) and is never started again");
        assertEquals(10, zero.expectMessageClass(Report.class).report().seq());
    }

    // ---- one node's reports reach a partition by two paths now

    @TempDir
    Path storeRoot;

    private static NodeReport full(long seq) {
        return NodeReport.full("n1", 5, seq, List.of(), List.of()).shares(Partitioning.of(4)).get(0);
    }

    private static NodeReport beat(long seq) {
        return NodeReport.delta("n1", 5, seq, List.of(), List.of(), List.of(), List.of());
    }

    /**
     * Before 8156ec1 every report of a node went to a partition through the sharding region, one FIFO path. Now a
     * heartbeat goes through the member's inbox while a FULL (a ResendFull's answer, sent at once, not on the tick)
     * goes straight: when another partition's ResendFull makes the node send FULL 4 while heartbeat 3 is still on
     * its way through a busier inbox, the partition takes FULL 4, then heartbeat 3 arrives and is answered
     * ReportRejected (DUPLICATE_OR_OLD) — a WARN at the reporter ("coordinator rejected report"), one per partition
     * it overtook, where a late heartbeat could only be a duplicate before.
     */
    @Test
    void aHeartbeatOvertakenByAStraightFullIsNotRejectedAtTheReporter() throws Exception {
        try (PartitionKit pk = PartitionKit.local("InboxReorder1", "partitions = 4", storeRoot)) {
            ActorRef<ToCoordinator> zero = pk.entity(0);
            pk.assertAlive(zero);
            ActorRef<ToPartitionInbox> inbox = pk.spawn(PartitionInbox.create(pk.partitioning));
            inbox.tell(new PartitionInbox.Hosted(0, zero));
            TestProbe<ToReporter> reporter = pk.createTestProbe();
            zero.tell(new Report(full(1), reporter.getRef()));
            inbox.tell(new Heartbeat(beat(2), List.of(), reporter.getRef()));
            reporter.expectMessageClass(PartitionsHosted.class);
            reporter.expectNoMessage(Duration.ofMillis(200)); // applied: no ack
            // FULL 4 straight, then heartbeat 3 through the inbox
            zero.tell(new Report(full(4), reporter.getRef()));
            inbox.tell(new Heartbeat(beat(3), List.of(), reporter.getRef()));
            List<ToReporter> got = reporter.receiveSeveralMessages(1, Duration.ofSeconds(2));
            List<ToReporter> more = new java.util.ArrayList<>(got);
            try {
                more.add(reporter.receiveMessage(Duration.ofMillis(500)));
            } catch (AssertionError none) {
                // nothing more
            }
            assertEquals(List.of(), more.stream().filter(m -> m instanceof ReportRejected).toList(),
                    "a heartbeat that came through the inbox after a newer straight report is rejected: the "
                            + "reporter logs a WARN for it");
        }
    }

    /**
     * End to end (real reporter, route, inbox and entities): the four partitions on member A, the heartbeats flowing
     * through its inbox; then the receptionist stops listing A's inbox (its inbox stopped, or A went unreachable to
     * some member) while A still hosts them. They missed one heartbeat each, saw a gap at the next and asked for a
     * FULL, which the reporter sent to every partition: a listing flap cost a FULL from every node (fixed: a listing
     * change drops the claims, and the next heartbeat goes straight).
     */
    @Test
    void anInboxLeavingTheListingWhileItsPartitionsStayCostsEveryNodeAFull() throws Exception {
        assertEquals(List.of(), fullsAfter(storeRoot, true), "the listing dropped inbox A (its partitions still "
                + "there): partitions 0 and 1 missed a heartbeat, saw a gap and asked for a FULL, sent to all four");
    }

    /**
     * The FULL reports sent straight in the 3 s after a quiet steady state, when the listing drops inbox A
     * ({@code flap}) or nothing happens (the control, in PartitionInboxReviewHeldTest).
     */
    static List<NodeReport> fullsAfter(Path storeRoot, boolean flap) throws Exception {
        try (PartitionKit pk = PartitionKit.local("InboxFlap", """
                partitions = 4
                heartbeat-interval = 200ms
                """, storeRoot)) {
            List<ActorRef<ToCoordinator>> entities = new java.util.ArrayList<>();
            for (int p = 0; p < 4; p++) {
                ActorRef<ToCoordinator> e = pk.entity(p);
                pk.assertAlive(e);
                entities.add(e);
            }
            // one inbox for the four (with two, a heartbeat costs as many messages through them as straight, and the
            // route sends it straight)
            ActorRef<ToPartitionInbox> a = pk.spawn(PartitionInbox.create(pk.partitioning));
            for (int p = 0; p < 4; p++) a.tell(new PartitionInbox.Hosted(p, entities.get(p)));
            // what goes straight to each partition passes a tap
            TestProbe<NodeReport> straight = pk.createTestProbe();
            List<ActorRef<ToCoordinator>> taps = new java.util.ArrayList<>();
            for (int p = 0; p < 4; p++) {
                ActorRef<ToCoordinator> e = entities.get(p);
                taps.add(pk.spawn(org.apache.pekko.actor.typed.javadsl.Behaviors.receive(ToCoordinator.class)
                        .onAnyMessage(m -> {
                            if (m instanceof Report r) straight.getRef().tell(r.report());
                            e.tell(m);
                            return org.apache.pekko.actor.typed.javadsl.Behaviors.same();
                        }).build()));
            }
            TestProbe<ToCoordinator> conductor = pk.createTestProbe();
            pk.spawn(io.blobgc.node.NodeReporter.create("n1", io.blobgc.node.CoordinatorRoute.byPartition(
                    pk.partitioning, taps::get, conductor.getRef()), pk.settings, null));
            // steady state: no straight report for a while (the heartbeats all go through the inboxes)
            awaitQuiet(straight, Duration.ofSeconds(1), Duration.ofSeconds(20));

            if (flap) {
                pk.system().receptionist().tell(org.apache.pekko.actor.typed.receptionist.Receptionist.deregister(
                        io.blobgc.protocol.ReporterProtocol.PARTITION_INBOXES, a));
            }
            List<NodeReport> fulls = new java.util.ArrayList<>();
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < until) {
                try {
                    NodeReport r = straight.receiveMessage(Duration.ofMillis(200));
                    if (r.kind() == NodeReport.Kind.FULL) fulls.add(r);
                } catch (AssertionError none) {
                    // keep listening
                }
            }
            return fulls;
        }
    }

    /** Waits until {@code probe} gets nothing for {@code quiet}, at most {@code max}. */
    private static void awaitQuiet(TestProbe<?> probe, Duration quiet, Duration max) {
        long until = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < until) {
            try {
                probe.receiveMessage(quiet);
            } catch (AssertionError none) {
                return;
            }
        }
        throw new AssertionError("never quiet");
    }
}
