package io.blobgc.coordinator;

import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of S1.6/S1.5/§8 as landed (324d775..bca06b0): failing tests, each asserting the correct behaviour. Four
 * linked entities ({@link LinkedPartitions}) and the chain a(0) → b(1) → c(2) → d(3) seeded in their journals, as in
 * {@link PartitionFenceTest}. Passing tries and controls: {@link FencesReviewHeldTest}.
 */
class FencesReviewTest extends FencesReviewBase {

    /**
     * Two pins of one blob by one owner whose walks overlap (an operator, or two scripts, pinning again while the
     * first pin has not answered yet — e.g. a partition briefly unreachable): the first is written as a new pin, its walk's asks are lost
     * until it gives up; the second, written while the first pin is in place (so not "new"), walks and is answered OK.
     * Then the first walk gives up and takes "its" new pin back ({@code BlobUnpinned}) — which is the very pin the
     * operator was just told is in place. The blob is then unpinned: once nothing else holds it, it is collected
     * although the last answer said it was pinned (S1). Cause: {@code PartitionFences.onPinFenced} takes back by
     * owner, with the {@code isNew} read before the walk, not the pin this walk wrote. Fix: take back only if the pin
     * in place is still the one this walk wrote (compare its {@code since}/reason/ttl, or a per-pin write id), or
     * serialize pins of one (hash, owner) while a walk is in flight.
     */
    @Test
    void aPinAnsweredOkIsNotTakenBackByAnEarlierPinsWalkThatGaveUp() {
        startChain();
        AtomicLong firstWalk = new AtomicLong(Long.MIN_VALUE);
        net.lost = m -> {
            if (!(m instanceof Coordinator.Protect p)) return false;
            firstWalk.compareAndSet(Long.MIN_VALUE, p.walk());
            return p.walk() == firstWalk.get();
        };
        TestProbe<Coordinator.OpResult> first = net.kit.createTestProbe();
        net.entities.get(0).tell(new Coordinator.PinBlob(a, "ops", "keep", null, first.getRef()));
        LinkedPartitions.eventually("the first pin's walk started", () -> firstWalk.get() != Long.MIN_VALUE,
                () -> String.valueOf(net.told));
        TestProbe<Coordinator.OpResult> second = net.kit.createTestProbe();
        net.entities.get(0).tell(new Coordinator.PinBlob(a, "ops", "keep (retry)", null, second.getRef()));
        Coordinator.OpResult ok = second.expectMessageClass(Coordinator.OpResult.class, ACQUIRE_TIMEOUT.multipliedBy(2));
        assertTrue(ok.ok(), "the retry's walk went through: " + ok.refusal());
        Coordinator.OpResult refused = first.expectMessageClass(Coordinator.OpResult.class,
                ACQUIRE_TIMEOUT.multipliedBy(2));
        assertFalse(refused.ok(), "the first walk gave up");
        assertEquals(1, net.info(a).pins().size(), "the pin the operator was last told is in place must stay: "
                + net.info(a) + "; journal " + net.kit.written(0));
    }

    /**
     * The settle round stuck on a partition that does not warm up. Partitions 1 and 2 recover together (each waits for
     * the other's settled FULL, so only the conductor's round ends their warm-ups); 0 and 3 run on; after n1's FULL
     * every entity ran a cycle, so everything is flushed (the held control, same history, is settled by the round).
     * Then one acquire of a in partition 0: its walk's frontier names b, so 0's exports are "dirty" until 0 flushes.
     * Nothing moves after that. But a partition that is not warming up does not flush on a {@code SettleQuery}
     * ({@code PartitionLinks.onSettleQuery}): it answers dirty at every poll until its next cycle, and the round never
     * sees a clean double collect. A node's FULL does the same (its report walk names the callees: that is how the
     * debug run found it — every recovery of a partition asks every node for a FULL, so 0 is dirty at the first polls
     * of every such round). In a busy cluster something flips in 0 between every cycle and the next two polls (an
     * acquire, a report adding a cross-partition hold), so the restarted partitions warm up for ever: no marks, no
     * deletions there. Here the cycle interval is an hour (cycles on command). Fix: a partition flushes on every poll
     * (one that does not warm up sends settled exports, only sooner than its cycle would), or its {@code dirty} is
     * read after such a flush.
     */
    @Test
    void theSettleRoundEndsWhileAPartitionThatIsNotWarmingUpHasSomethingUnflushed() throws IOException {
        open("heartbeat-interval = 200ms");
        oneAndTwoRecoverTogether();
        var reply = acquire(a);
        assertEquals(io.blobgc.protocol.ReporterProtocol.AcquireResult.ACQUIRED, reply.result(), reply.message());
        net.conductor(); // it polls every heartbeat interval (200 ms): about 75 polls within the patience
        awaitWarmedUp(1, 2);
    }

    /**
     * Report walks never expire, and none is ever dropped: while partition 3 is unreachable (all its peers' messages
     * lost: down, or moving for long), every report of n1 that adds a hold reaching 3 starts one more walk in
     * partition 0 — here 40 FULLs of the same holding, each superseding the last — and every resend tick sends one ask
     * per walk again: 40 asks of d every eighth of the acquire timeout, growing with every report for as long as the
     * partition is away (memory, and a resend storm when it returns). Only the last FULL's walk can still say
     * anything ({@code fullFenced} keeps the latest), and it asks everything the older ones ask. Fix: a node's new
     * report walk replaces (or absorbs) its older report walks — keep one per node, merge asks per (to, onBehalfOf,
     * hash) — or bound the walk map and fall back to "not fenced" for what is dropped.
     */
    @Test
    void reportWalksOfOneNodeDoNotPileUpWhileAPartitionIsAway() throws InterruptedException {
        startChain();
        net.full(a);
        net.settled();
        net.lost = m -> m instanceof Coordinator.Protect p && p.hashes().contains(d);
        for (int i = 0; i < 40; i++) net.full(a);
        LinkedPartitions.eventually("every FULL's walk reached d", () -> net.told.stream()
                .filter(m -> m instanceof Coordinator.Protect p && p.hashes().contains(d)).count() >= 40,
                () -> String.valueOf(net.told.size()));
        Thread.sleep(ACQUIRE_TIMEOUT.toMillis());
        long before = net.told.stream().filter(m -> m instanceof Coordinator.Protect p && p.hashes().contains(d)).count();
        Thread.sleep(ACQUIRE_TIMEOUT.toMillis()); // 8 resend ticks
        long resent = net.told.stream().filter(m -> m instanceof Coordinator.Protect p && p.hashes().contains(d))
                .count() - before;
        assertTrue(resent <= 24, "asks of d resent in 8 ticks, for one node's one holding: " + resent);
    }

    /**
     * A pin whose walk an entity restart forgot stays in place unfenced for ever. d is unknown to partition 3 (its
     * tombstone pruned: gone). An operator pins a; {@code BlobPinned} is written, then the walk's asks are lost and
     * partition 0 restarts (a handoff, a journal hiccup) before the walk ends: walks are soft state, so nobody answers
     * the operator, and nobody takes the pin back. The new instance holds a pinned over a closure that is gone — what
     * the same pin, walked, is refused for ({@code PartitionFenceTest.aPinOverAGoneHopIsRefusedNamingItAndNothingIsWritten})
     * and what the whole never writes (S11, "nothing answers held for a blob whose content is gone": the status says
     * PINNED). Fix: write the pin only once its walk is done (reserve the remote callees as
     * {@code PartitionedLedger.reserveBelow} does, walk, then persist), or have a recovered entity walk every pin it
     * recovers and take back those with a gone hop.
     */
    @Test
    void aPinWhoseWalkARestartForgotIsNotLeftInPlaceOverAGoneCallee() {
        net.seed(0, registered(a, b));
        net.seed(1, registered(b, c));
        net.seed(2, registered(c, d));
        net.seed(3); // d collected long ago
        for (int p = 0; p < 4; p++) net.start(p);
        net.lost = m -> m instanceof Coordinator.Protect;
        TestProbe<Coordinator.OpResult> pin = net.kit.createTestProbe();
        net.entities.get(0).tell(new Coordinator.PinBlob(a, "ops", "keep", null, pin.getRef()));
        LinkedPartitions.eventually("the pin's walk started", () -> net.told.stream()
                .anyMatch(m -> m instanceof Coordinator.Protect), () -> String.valueOf(net.told));
        net.restart(0);
        net.lost = m -> false;
        long deadline = System.nanoTime() + ACQUIRE_TIMEOUT.multipliedBy(3).toNanos();
        while (System.nanoTime() < deadline && !net.info(a).pins().isEmpty()) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        assertTrue(net.info(a).pins().isEmpty(), "a pinned over gone d, never fenced nor taken back: " + net.info(a)
                + "; journal " + net.kit.written(0));
    }

    /**
     * A refused re-pin left in place. The operator pinned a for an hour (answered OK). Later the same owner pins a again
     * without a ttl (for good); the new {@code BlobPinned} is written first, then its walk gives up (partition 3 does
     * not answer) and the operator is told a conflict ("did not complete in time: retry"). But since the pin was not
     * "new", nothing is taken back: the refused pin — no expiry — replaced the one the operator had, and a stays pinned
     * for ever although the operator was told the change did not happen (and its hour ran out). Fix: on a refusal,
     * restore the pin that was in place before (write it back), or walk before writing a changed pin.
     */
    @Test
    void aRefusedRePinDoesNotReplaceThePinInPlace() {
        startChain();
        TestProbe<Coordinator.OpResult> first = net.kit.createTestProbe();
        net.entities.get(0).tell(new Coordinator.PinBlob(a, "ops", "for an hour", 3_600_000L, first.getRef()));
        assertTrue(first.expectMessageClass(Coordinator.OpResult.class, ACQUIRE_TIMEOUT.multipliedBy(2)).ok());
        net.lost = m -> m instanceof Coordinator.Protect p && p.hashes().contains(d);
        TestProbe<Coordinator.OpResult> again = net.kit.createTestProbe();
        net.entities.get(0).tell(new Coordinator.PinBlob(a, "ops", "for good", null, again.getRef()));
        Coordinator.OpResult refused = again.expectMessageClass(Coordinator.OpResult.class,
                ACQUIRE_TIMEOUT.multipliedBy(2));
        assertFalse(refused.ok(), "the walk gave up");
        var pins = net.info(a).pins();
        assertEquals(1, pins.size(), String.valueOf(pins));
        assertEquals("for an hour", pins.get(0).reason(), "the refused pin replaced the one in place: " + pins);
        assertTrue(pins.get(0).expiresAt() != null, "the refused pin replaced the one in place: " + pins);
    }
}
