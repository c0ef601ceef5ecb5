package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Review 30 (adversarial, of session 30's changes; a helper with the code and DESIGN.md only): a pin refused by its
 * own partition changes nothing that partition sends. The review's other finding, a gone blob inside a remote
 * callee's partition that no GONE names (a VM re-uploading for ever), is a liveness defect written up in
 * partitions-part2-plan.md (session 30) with the fix it needs, not a test here yet.
 */
class Review30Test extends FencesReviewBase {

    private static CycleOutcome marking(BlobHash x, long at) {
        return new CycleOutcome(1, at, false, false, false, List.of(x), List.of(), List.of(), List.of(),
                List.of(new CycleOutcome.MarkedBlob(x, at)), List.of(), List.of(), List.of(), List.of(), 0);
    }

    /**
     * A pin its own partition refuses (its blob collected; a callee b in partition 1 below it) is now refused after
     * its remote callees were reserved and released (PartitionFences.pin reserves first since session 30). Nothing is
     * written, but the reservation remembered b as asked: the next export of partition 0 to partition 1 carries a
     * removal of b, which partition 0 never exported — content where there was none (at 5db24b3 the local refusal came
     * first and changed nothing). Each such export is a change the settle round's double collect must wait out (the
     * warm-up that never ended at P = 8, seed 30001, was this: refused requests' asks moving the exports), and a
     * refused request should change nothing.
     */
    @Test
    void aPinRefusedLocallyChangesNothingPartitionZeroSends() throws IOException {
        long now = System.currentTimeMillis();
        net.seed(0, registered(a, b), new Coordinator.CycleCompleted(marking(a, now), 0),
                new Coordinator.DeletionStarted(List.of(a), now), new Coordinator.BlobsCollected(List.of(a), now, 0));
        net.seed(1, registered(b, null));
        net.seed(2);
        net.seed(3);
        for (int p = 0; p < 4; p++) net.start(p);
        net.full();
        net.settled();
        net.cycle();
        int before = net.told.size();
        TestProbe<Coordinator.OpResult> probe = net.kit.createTestProbe();
        net.entities.get(0).tell(new Coordinator.PinBlob(a, "ops", "keep", null, probe.getRef()));
        Coordinator.OpResult refused = probe.expectMessageClass(Coordinator.OpResult.class, ACQUIRE_TIMEOUT);
        assertFalse(refused.ok());
        assertEquals(BlobStatus.COLLECTED, net.info(a).status());
        net.cycle();
        List<Object> content = new ArrayList<>();
        for (Object m : new ArrayList<>(net.told).subList(before, net.told.size())) {
            if (m instanceof Coordinator.PartitionExport e && e.from() == 0 && e.to() == 1
                    && (!e.report().activeAdded().isEmpty() || !e.report().activeRemoved().isEmpty())) content.add(m);
        }
        assertEquals(List.of(), content, "partition 0's exports to 1 after a refused pin, with content");
    }
}
