package io.blobgc.node;

import io.blobgc.ledger.NodeReport;
import io.blobgc.protocol.ReporterProtocol;
import io.blobgc.protocol.ReporterProtocol.Heartbeat;
import io.blobgc.protocol.ReporterProtocol.PartitionsHosted;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import io.blobgc.protocol.ReporterProtocol.ToPartitionInbox;
import io.blobgc.protocol.ReporterProtocol.ToReporter;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Review of 8156ec1 (heartbeats through partition inboxes): findings that fail on it.
 *
 * <p>A partition misses a heartbeat whenever the route relies on a claim that no inbox it still sends to can honour:
 * the claim of an inbox the receptionist stopped listing (its member went unreachable — {@code getServiceInstances}
 * lists reachable instances only — or the inbox stopped), and claims kept across heartbeats sent while no inbox was
 * listed. The partition's next report then shows a gap, and every such partition asks the node for a FULL report,
 * which goes to every partition: a FULL from every node on every reachability flap, where 8065f50 sent heartbeats
 * straight and lost none. Failed on 8156ec1; fixed since: a change of the listing drops the claims (and the answers
 * still to come about the last heartbeat), and heartbeats go through the inboxes only when that costs fewer messages
 * (more than twice as many partitions as inboxes; P = 8 here).
 */
class HeartbeatInboxReviewTest {

    private static final int P = 8;
    private ProbedPartitions probed;
    private ActorTestKit kit;
    private ManualTime time;
    private List<TestProbe<ToCoordinator>> partitions;
    private ActorRef<ToReporter> reporter;

    @BeforeEach
    void start() {
        probed = new ProbedPartitions("HeartbeatInboxReviewTest", P);
        kit = probed.kit;
        time = probed.time;
        partitions = probed.partitions;
        reporter = probed.reporter;
        for (TestProbe<ToCoordinator> p : partitions) p.expectMessageClass(ReporterProtocol.Report.class); // FULL
    }

    @AfterEach
    void stop() {
        probed.close();
    }

    /**
     * Partitions 0 to 3 are on member A, 4 to 7 on member B, each member's inbox claims them, and then A's inbox
     * leaves the receptionist's listing (A unreachable for a moment, as seen by any member; or its inbox stopped)
     * while A still hosts 0 to 3 — the route's next heartbeat reached none of them: not straight (claimed at the last
     * heartbeat) and through no inbox (A's is not sent to, B's hosts none).
     */
    @Test
    void thePartitionsOfAnInboxTheListingDroppedStillGetTheNextHeartbeat() {
        TestProbe<ToPartitionInbox> a = kit.createTestProbe(), b = kit.createTestProbe();
        register(a);
        register(b);
        Heartbeat first = firstThroughInboxes(a, b);
        answer(first, List.of(0, 1, 2, 3));
        answer(first, List.of(4, 5, 6, 7));
        // one heartbeat as in steady state: nothing straight, both inboxes get it and claim again
        Heartbeat second = beatThroughInboxes(a, b);
        assertEquals(List.of(), second.skip());
        answer(second, List.of(0, 1, 2, 3));
        answer(second, List.of(4, 5, 6, 7));

        kit.system().receptionist().tell(Receptionist.deregister(ReporterProtocol.PARTITION_INBOXES, a.getRef()));
        awaitListing(Set.of(b.getRef()));

        time.timePasses(Duration.ofSeconds(1));
        Heartbeat third = b.expectMessageClass(Heartbeat.class);
        a.expectNoMessage(Duration.ofMillis(50));
        // 0 to 3 must get theirs straight: no inbox sent to hosts them (4 to 7: straight, or through B when not skipped)
        for (int p : List.of(0, 1, 2, 3)) {
            NodeReport got = straight(p, Duration.ofMillis(300));
            assertNotNull(got, "partition " + p + " (hosted by the member whose inbox the listing dropped) got no "
                    + "heartbeat " + third.report().seq() + ": neither straight nor through a listed inbox; its next "
                    + "report is a gap, it asks this node for a FULL, which goes to every partition");
            assertEquals(third.report().seq(), got.seq());
        }
    }

    /**
     * Claims outlive heartbeats sent while no inbox was listed: inbox A claimed every partition, the listing emptied
     * (A gone), heartbeats went straight; then member B's inbox is listed, hosting nothing yet. The route still holds
     * A's old claims and sends no partition its share: each misses that heartbeat.
     */
    @Test
    void claimsMadeBeforeTheListingEmptiedAreNotReusedWithANewInbox() {
        TestProbe<ToPartitionInbox> a = kit.createTestProbe(), b = kit.createTestProbe();
        register(a);
        Heartbeat first = firstThroughInboxes(a);
        answer(first, List.of(0, 1, 2, 3, 4, 5, 6, 7));

        kit.system().receptionist().tell(Receptionist.deregister(ReporterProtocol.PARTITION_INBOXES, a.getRef()));
        awaitListing(Set.of());
        time.timePasses(Duration.ofSeconds(1));
        for (int p = 0; p < P; p++) assertNotNull(straight(p, Duration.ofSeconds(1)), "no inbox: all straight");

        register(b);
        awaitListing(Set.of(b.getRef()));
        time.timePasses(Duration.ofSeconds(1));
        Heartbeat h = b.expectMessageClass(Heartbeat.class);
        List<Integer> missed = new ArrayList<>();
        for (int p = 0; p < P; p++) if (straight(p, Duration.ofMillis(100)) == null) missed.add(p);
        assertEquals(List.of(), missed, "heartbeat " + h.report().seq() + " reached none of these partitions: the "
                + "route kept inbox A's claims (made before the listing emptied) and B's inbox, which hosts nothing, "
                + "was told to skip none; skip = " + h.skip());
    }

    /**
     * The commit's aim is fewer messages per heartbeat; at ShardedPartitionsTest's own shape (P = 4 over three
     * members hosting partitions) a steady-state heartbeat cost a node 3 heartbeats to the inboxes and 3
     * PartitionsHosted answers back — 6 remote messages where 8065f50 sent 4 shares. It saves messages only when P
     * is above twice the number of hosting members (here P = 8: 6 through three inboxes claiming every partition).
     */
    @Test
    void atEightPartitionsOverThreeMembersAHeartbeatCostsNoMoreThanEightShares() {
        TestProbe<ToPartitionInbox> a = kit.createTestProbe(), b = kit.createTestProbe(), c = kit.createTestProbe();
        register(a);
        register(b);
        register(c);
        awaitListing(Set.of(a.getRef(), b.getRef(), c.getRef()));
        Heartbeat first = firstThroughInboxes(a, b, c);
        answer(first, List.of(0, 1, 2));
        answer(first, List.of(3, 4, 5));
        answer(first, List.of(6, 7));
        time.timePasses(Duration.ofSeconds(1));
        int messages = 0;
        for (TestProbe<ToPartitionInbox> inbox : List.of(a, b, c)) {
            inbox.expectMessageClass(Heartbeat.class);
            messages += 2; // the heartbeat, and the inbox's PartitionsHosted answer (the route needs it to go on)
        }
        for (int p = 0; p < P; p++) if (straight(p, Duration.ofMillis(50)) != null) messages++;
        org.junit.jupiter.api.Assertions.assertTrue(messages <= P, "one steady-state heartbeat costs " + messages
                + " messages between this node and the members, against " + P + " straight shares before");
    }

    // ---- helpers

    private void register(TestProbe<ToPartitionInbox> inbox) {
        kit.system().receptionist().tell(Receptionist.register(ReporterProtocol.PARTITION_INBOXES, inbox.getRef()));
    }

    /** Waits until the receptionist lists exactly {@code inboxes}, then a moment for the reporter's own listing. */
    private void awaitListing(Set<ActorRef<ToPartitionInbox>> inboxes) {
        TestProbe<Receptionist.Listing> listing = kit.createTestProbe();
        listing.awaitAssert(() -> {
            kit.system().receptionist().tell(Receptionist.find(ReporterProtocol.PARTITION_INBOXES, listing.getRef()));
            assertEquals(inboxes, listing.receiveMessage().getServiceInstances(ReporterProtocol.PARTITION_INBOXES));
            return null;
        });
        try {
            Thread.sleep(300); // the reporter's subscription is told at the same time; let it take it
        } catch (InterruptedException e) {
            throw new RuntimeException(e);
        }
    }

    /** Heartbeats until the inboxes get one (the listing reached the reporter); drains the straight shares. */
    @SafeVarargs
    private Heartbeat firstThroughInboxes(TestProbe<ToPartitionInbox>... inboxes) {
        for (int beat = 0; beat < 20; beat++) {
            time.timePasses(Duration.ofSeconds(1));
            Heartbeat h = null;
            for (TestProbe<ToPartitionInbox> inbox : inboxes) {
                try {
                    h = inbox.expectMessageClass(Heartbeat.class, Duration.ofMillis(100));
                } catch (AssertionError none) {
                    h = null;
                }
            }
            for (int p = 0; p < P; p++) straight(p, Duration.ofMillis(100));
            if (h != null) return h;
        }
        throw new AssertionError("the inboxes never got a heartbeat");
    }

    @SafeVarargs
    private Heartbeat beatThroughInboxes(TestProbe<ToPartitionInbox>... inboxes) {
        time.timePasses(Duration.ofSeconds(1));
        Heartbeat h = null;
        for (TestProbe<ToPartitionInbox> inbox : inboxes) h = inbox.expectMessageClass(Heartbeat.class);
        return h;
    }

    private static void answer(Heartbeat h, List<Integer> hosted) {
        h.replyTo().tell(new PartitionsHosted(h.report().incarnation(), h.report().seq(), hosted));
    }

    /** The report partition {@code p} got straight within {@code wait}, or null. */
    private NodeReport straight(int p, Duration wait) {
        try {
            return partitions.get(p).expectMessageClass(ReporterProtocol.Report.class, wait).report();
        } catch (AssertionError none) {
            return null;
        }
    }
}
