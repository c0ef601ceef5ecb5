package io.blobgc.coordinator;

import io.blobgc.ledger.BlobStatus;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The acquire fence across linked partition entities ({@link PartitionFences}; partitions.md §2,
 * partitions-part2-plan S1.6): four entities, one partition each, and a chain a(0) → b(1) → c(2) → d(3) seeded in
 * their journals. An acquire of a is ACQUIRED only once every hop below it is recorded in its owner, in the view of
 * the partition whose exports will list it; a hop gone (here unknown to its owner) answers GONE naming it; a lost answer is asked again; a hop
 * that never answers gives UNAVAILABLE, never ACQUIRED.
 */
class PartitionFenceTest extends FencesReviewBase {

    /** The chain in the journals (d unknown to partition 3 unless {@code dRegistered}); the four entities started. */
    private void start(boolean dRegistered) {
        if (dRegistered) {
            startChain();
            return;
        }
        net.seed(0, registered(a, b));
        net.seed(1, registered(b, c));
        net.seed(2, registered(c, d));
        net.seed(3);
        for (int p = 0; p < 4; p++) net.start(p);
    }

    /** n1 acquires a; the answer. */
    private AcquireReply acquireA() {
        return acquire(a);
    }

    private boolean isProtect(Object m, int to) {
        return m instanceof Coordinator.Protect p && net.partitioning.partitionOf(p.hashes().get(0)) == to;
    }

    @Test
    void anAcquireIsAcquiredOnceEveryHopIsRecordedInTheViewOfThePartitionThatExportsIt() {
        start(true);
        AcquireReply reply = acquireA();
        assertEquals(AcquireResult.ACQUIRED, reply.result(), reply.message() + "; errors " + net.kit.errors());
        assertTrue(net.info(a).referencedBy().contains("n1"), String.valueOf(net.info(a)));
        assertTrue(net.heldFor(b, 0), String.valueOf(net.info(b)));
        assertTrue(net.heldFor(c, 1), String.valueOf(net.info(c)));
        assertTrue(net.heldFor(d, 2), String.valueOf(net.info(d)));
        assertEquals(3, net.told.stream().filter(m -> m instanceof Coordinator.Protected).count(), "one answer a hop: "
                + net.told);
    }

    @Test
    void aHopItsOwnerDoesNotKnowAnswersGoneNamingIt() {
        start(false); // collected long ago: its tombstone pruned
        AcquireReply reply = acquireA();
        assertEquals(AcquireResult.GONE, reply.result(), reply.message() + "; d " + net.info(d));
        assertEquals(List.of(d), reply.gone());
    }

    @Test
    void aLostAnswerIsAskedAgainAndTheAcquireStillSucceeds() {
        start(true);
        net.loseOnce(m -> m instanceof Coordinator.Protected p && p.from() == 2);
        AcquireReply reply = acquireA();
        assertEquals(AcquireResult.ACQUIRED, reply.result(), reply.message() + "; errors " + net.kit.errors());
        assertTrue(net.told.stream().filter(m -> isProtect(m, 2)).count() >= 2, "c asked again: " + net.told);
        assertTrue(net.heldFor(d, 2), String.valueOf(net.info(d)));
    }

    @Test
    void aHopThatNeverAnswersGivesUnavailableNeverAcquired() {
        start(true);
        net.lost = m -> isProtect(m, 3);
        AcquireReply reply = acquireA();
        assertEquals(AcquireResult.UNAVAILABLE, reply.result(), reply.message());
        assertTrue(net.told.stream().filter(m -> isProtect(m, 3)).count() >= 2, "d asked again: " + net.told);
    }

    @Test
    void aUseOfAHopWaitingOutItsGraceIsWrittenByItsOwnerBeforeItAnswers() {
        start(true);
        net.full();
        net.settled();
        net.cyclesUntil("d, held by nothing, waits out its grace (a long one here)",
                () -> net.info(d).status() == BlobStatus.UNREFERENCED, () -> String.valueOf(net.info(d)));
        AcquireReply reply = acquireA();
        assertEquals(AcquireResult.ACQUIRED, reply.result(), reply.message() + "; errors " + net.kit.errors());
        assertTrue(net.kit.written(3).stream().anyMatch(e -> e instanceof Coordinator.BlobsUsed u
                && u.hashes().contains(d)), "d's use written by partition 3: " + net.kit.written(3));
    }

    @Test
    void aReportedHoldIsFencedAcrossPartitionsAndItsFullSaidFencedOnlyOnceTheWalkIsDone() {
        start(true);
        net.lost = m -> isProtect(m, 1); // b's owner hears nothing of a's walk for now
        net.full(a); // n1 holds a by its FULL alone: no acquire
        long fullSeq = net.seq();
        LinkedPartitions.eventually("the report fence asked b's owner", () -> net.told.stream()
                .anyMatch(m -> isProtect(m, 1)), () -> String.valueOf(net.told));
        net.cycle();
        assertTrue(fencedByA(fullSeq) == Boolean.FALSE, "n1's FULL is not fenced while b's owner has not answered: "
                + lastExportOfA());
        net.lost = m -> false; // the walk's asks are sent again until answered
        LinkedPartitions.eventually("d held for c's owner: the walk went all the way", () -> net.heldFor(d, 2),
                () -> String.valueOf(net.info(d)));
        net.cyclesUntil("n1's FULL said fenced by A", () -> fencedByA(fullSeq) == Boolean.TRUE,
                () -> String.valueOf(lastExportOfA()));
    }

    /** An operator pins a; the answer. */
    private Coordinator.OpResult pinA() {
        TestProbe<Coordinator.OpResult> probe = net.kit.createTestProbe();
        net.entities.get(0).tell(new Coordinator.PinBlob(a, "ops", "keep", null, probe.getRef()));
        return probe.expectMessageClass(Coordinator.OpResult.class, ACQUIRE_TIMEOUT.multipliedBy(2));
    }

    @Test
    void aPinIsAnsweredOnceEveryHopBelowItIsRecorded() {
        start(true);
        Coordinator.OpResult pinned = pinA();
        assertTrue(pinned.ok(), String.valueOf(pinned.refusal()));
        assertEquals("ops", net.info(a).pins().get(0).owner());
        assertTrue(net.heldFor(b, 0) && net.heldFor(c, 1) && net.heldFor(d, 2),
                "the closure recorded: " + net.info(b) + ", " + net.info(c) + ", " + net.info(d));
    }

    @Test
    void aPinOverAGoneHopIsRefusedNamingItAndNothingIsWritten() {
        start(false);
        Coordinator.OpResult refused = pinA();
        assertFalse(refused.ok());
        assertTrue(refused.refusal().message().contains(d.toString()), refused.refusal().message());
        assertTrue(net.info(a).pins().isEmpty(), "not pinned: " + net.info(a));
        assertTrue(net.kit.written(0).stream().noneMatch(e -> e instanceof Coordinator.BlobPinned),
                String.valueOf(net.kit.written(0)));
    }

    /** A's last export told so far. */
    private Coordinator.PartitionExport lastExportOfA() {
        Coordinator.PartitionExport last = null;
        for (var m : net.told) if (m instanceof Coordinator.PartitionExport e && e.from() == 0) last = e;
        return last;
    }

    /** Whether A's last export says n1's FULL {@code seq} fenced; null: no export yet. */
    private Boolean fencedByA(long seq) {
        Coordinator.PartitionExport e = lastExportOfA();
        if (e == null) return null;
        var f = e.fenced() == null ? null : e.fenced().get("n1");
        return f != null && f.covers(1, seq);
    }
}
