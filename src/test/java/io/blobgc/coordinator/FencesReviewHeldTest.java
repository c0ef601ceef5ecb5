package io.blobgc.coordinator;

import io.blobgc.ledger.ProtectOutcome;
import io.blobgc.ledger.SettleRound;
import io.blobgc.ledger.SettleStatus;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.ToCoordinator;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of S1.6/S1.5/§8 (324d775..bca06b0): what was tried and held — each asserts the correct behaviour and
 * passes on main. Controls of {@link FencesReviewTest}'s failures are here too.
 */
class FencesReviewHeldTest extends FencesReviewBase {

    /**
     * Control of {@code FencesReviewTest.theSettleRoundEndsWhileAPartitionThatIsNotWarmingUpHasSomethingUnflushed}:
     * the same two partitions recovering together, with nothing unflushed in the others, are settled by the
     * conductor's round.
     */
    @Test
    void controlTheSettleRoundEndsTwoWarmUpsWhenNothingIsUnflushed() throws IOException {
        open("heartbeat-interval = 200ms");
        oneAndTwoRecoverTogether();
        net.conductor();
        awaitWarmedUp(1, 2);
    }

    /**
     * Malformed and stray fence messages to a linked entity: a Protect from no partition, on behalf of itself or of no
     * partition, with no hashes, a null hash, another partition's hash (answered gone); a Protected with no outcome, of
     * no walk, naming hashes no ask named. None crashes it or changes its answers: an acquire of a afterwards is
     * ACQUIRED, its hops recorded.
     */
    @Test
    void malformedAndStrayFenceMessagesNeitherCrashNorConfuseALinkedEntity() {
        startChain();
        ActorRef<ToCoordinator> e0 = net.entities.get(0);
        e0.tell(new Coordinator.Protect(1, -1, 1, 1, 0, List.of(a), true));
        e0.tell(new Coordinator.Protect(1, 1, 0, 1, 0, List.of(a), true));
        e0.tell(new Coordinator.Protect(1, 1, 9, 1, 0, List.of(a), true));
        e0.tell(new Coordinator.Protect(1, 1, 2, 1, 0, null, true));
        e0.tell(new Coordinator.Protect(1, 1, 2, 1, 0, Arrays.asList(a, null), true));
        e0.tell(new Coordinator.Protect(1, 1, 2, Long.MIN_VALUE, Long.MIN_VALUE, List.of(d), true)); // 3's hash
        e0.tell(new Coordinator.Protected(42, 1, null));
        e0.tell(new Coordinator.Protected(42, 7, new ProtectOutcome(List.of(b), List.of(), List.of(), List.of(),
                List.of())));
        e0.tell(Coordinator.FenceTick.INSTANCE);
        net.kit.assertAlive(e0);
        LinkedPartitions.eventually("partition 1 answered 0's stray Protect of d gone", () -> net.told.stream()
                .anyMatch(m -> m instanceof Coordinator.Protected p && p.from() == 0
                        && p.outcome().gone().equals(List.of(d))), () -> String.valueOf(net.told));
        var reply = acquire(a);
        assertEquals(AcquireResult.ACQUIRED, reply.result(), reply.message() + "; errors " + net.kit.errors());
        assertTrue(net.heldFor(d, 2), String.valueOf(net.info(d)));
    }

    /**
     * The fence and settle messages to an isolated entity (it views no other partition): Protect, Protected,
     * FenceTick, SettleQuery (no answer), PartitionsSettled (null, wrong size, its generation): logged and dropped;
     * it keeps answering and its warm-up is not ended by a PartitionsSettled.
     */
    @Test
    void fenceAndSettleMessagesToAnIsolatedEntityAreDropped() {
        net.seed(0, registered(a, null));
        ActorRef<ToCoordinator> e0 = net.kit.spawn(net.kit.behavior(0));
        net.kit.assertAlive(e0);
        e0.tell(new Coordinator.Protect(1, 1, 2, 1, 0, List.of(a), true));
        e0.tell(new Coordinator.Protected(1, 1, new ProtectOutcome(List.of(a), List.of(), List.of(), List.of(),
                List.of())));
        e0.tell(Coordinator.FenceTick.INSTANCE);
        TestProbe<SettleStatus> status = net.kit.createTestProbe();
        e0.tell(new Coordinator.SettleQuery(status.getRef()));
        e0.tell(new Coordinator.SettleQuery(null));
        e0.tell(new Coordinator.PartitionsSettled(null));
        e0.tell(new Coordinator.PartitionsSettled(List.of(1)));
        e0.tell(new Coordinator.PartitionsSettled(List.of(2, 2, 2, 2)));
        status.expectNoMessage(java.time.Duration.ofMillis(300));
        net.kit.assertAlive(e0);
        assertTrue(net.summary(e0).warmingUp(), "an isolated entity warms up on its nodes' FULLs alone");
    }

    /**
     * The whole coordinator (P = 4 in one singleton): the linked entities' messages are dropped, it stays alive and
     * answers.
     */
    @Test
    void fenceAndSettleMessagesToTheWholeAreDropped() {
        ActorRef<ToCoordinator> whole = net.kit.spawn(Coordinator.create(net.kit.settings, net.kit.store,
                Clock.systemUTC()));
        whole.tell(new Coordinator.Protect(1, 1, 2, 1, 0, List.of(a), true));
        whole.tell(new Coordinator.Protected(1, 1, null));
        whole.tell(Coordinator.FenceTick.INSTANCE);
        TestProbe<SettleStatus> status = net.kit.createTestProbe();
        whole.tell(new Coordinator.SettleQuery(status.getRef()));
        whole.tell(new Coordinator.PartitionsSettled(List.of(1, 1, 1, 1)));
        status.expectNoMessage(java.time.Duration.ofMillis(300));
        net.kit.assertAlive(whole);
        net.summary(whole);
    }

    /**
     * A partition that restarts between the two collects of a round: polled with the round's cut, as the conductor
     * polls, until a poll is clean — a first collect —, then 2 restarts. The second poll carries its new generation, so
     * there is no double collect; a PartitionsSettled of the old epoch is ignored by the restarted partition, which
     * stays warming until a round of its own generation.
     */
    @Test
    void aPartitionRestartingBetweenTheTwoCollectsEndsNoWarmUpOfItsNewInstance() {
        oneAndTwoRecoverTogether();
        SettleRound round = new SettleRound(4);
        Map<Integer, SettleStatus> first = poll(round.queryCut());
        for (int i = 0; !round.cutClean(first); i++) {
            assertTrue(i < 30, "no clean poll of the cut: " + first);
            assertTrue(round.poll(first).isEmpty(), "a poll that is not clean settles nothing");
            first = poll(round.queryCut());
        }
        assertTrue(round.poll(first).isEmpty(), "a first collect");
        List<Integer> oldEpoch = new ArrayList<>();
        for (int p = 0; p < 4; p++) oldEpoch.add(first.get(p).generation());
        net.restart(2);
        net.full(a);
        assertTrue(round.poll(poll(round.queryCut())).isEmpty(), "no double collect across the restart");
        net.entities.get(2).tell(new Coordinator.PartitionsSettled(oldEpoch));
        assertTrue(net.summary(2).warmingUp(), "the old epoch ends nothing in the new instance: "
                + net.summary(2).warmUpBlockers());
    }

    /** One poll of the settle round, as the conductor asks it: its queries carry the round's {@code cut}. */
    private Map<Integer, SettleStatus> poll(long cut) {
        Map<Integer, SettleStatus> out = new TreeMap<>();
        for (int p = 0; p < 4; p++) {
            TestProbe<SettleStatus> probe = net.kit.createTestProbe();
            net.entities.get(p).tell(new Coordinator.SettleQuery(probe.getRef(), cut));
            out.put(p, probe.expectMessageClass(SettleStatus.class));
        }
        return out;
    }

    /**
     * The conductor's {@code PartitionsSettled} lost on its way to one of the two partitions that recovered together:
     * the other ends its warm-up, the one that missed it stays warming — and a later round, of its generation, ends
     * it (the conductor keeps polling while any partition warms up).
     */
    @Test
    void aLostPartitionsSettledIsMadeUpByALaterRound() throws IOException {
        open("heartbeat-interval = 200ms");
        oneAndTwoRecoverTogether();
        int[] seen = {0}; // the conductor tells 0, 1, 2, 3 in turn: the second is partition 1's
        net.lost = m -> m instanceof Coordinator.PartitionsSettled && ++seen[0] == 2;
        net.conductor();
        awaitWarmedUp(1, 2);
        // with the settle round's cut (partitions-part2-plan §10, tier 2) the round after the epoch is on a new cut,
        // which the settled partitions take too: their base flush sends 1 their first settled FULLs, and 1 may end
        // its warm-up by them (S5) before a second Settled comes. Either way the lost Settled is made up
        assertFalse(net.summary(1).warmingUp(), "made up: "
                + net.told.stream().filter(m -> m instanceof Coordinator.PartitionsSettled).toList());
    }

    /**
     * The report-fence cut's liveness across a restart of a hop's owner in the middle of a report walk: n1's FULL of a
     * is walked by partition 0; the ask to partition 1 is lost, then 1 restarts. The walk asks again, the new instance
     * answers, the walk reaches d, and 0's next export says n1's FULL fenced (no confirmation of n1 held for ever).
     */
    @Test
    void aReportWalkOutlivesTheRestartOfAHopsOwnerAndItsFullIsFenced() {
        startChain();
        net.full(a);
        net.settled();
        net.lost = m -> m instanceof Coordinator.Protect p && p.hashes().contains(b);
        net.full(a);
        long fullSeq = net.seq();
        LinkedPartitions.eventually("the walk asked 1", () -> net.told.stream()
                .anyMatch(m -> m instanceof Coordinator.Protect p && p.hashes().contains(b) && p.onBehalfOf() == 0),
                () -> String.valueOf(net.told));
        net.restart(1);
        net.lost = m -> false;
        net.full(a); // the restarted partition asks n1 for a FULL: it goes to every partition
        long lastFull = net.seq();
        assertTrue(lastFull > fullSeq);
        net.settled();
        net.cyclesUntil("0's export says n1's last FULL fenced", () -> {
            Coordinator.PartitionExport last = null;
            for (var m : net.told) if (m instanceof Coordinator.PartitionExport e && e.from() == 0) last = e;
            var f = last == null || last.fenced() == null ? null : last.fenced().get("n1");
            return f != null && f.covers(1, lastFull);
        }, () -> "d " + net.info(d));
        assertTrue(net.heldFor(d, 2), String.valueOf(net.info(d)));
    }
}
