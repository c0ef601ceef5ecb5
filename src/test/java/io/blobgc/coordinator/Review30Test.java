package io.blobgc.coordinator;

import io.blobgc.ledger.BlobStatus;
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
        startWithACollected(System.currentTimeMillis());
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
