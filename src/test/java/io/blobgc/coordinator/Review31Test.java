package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.GoneWalk;
import io.blobgc.protocol.ReporterProtocol.Acquire;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review 31 (adversarial, of 8ad741e: GoneNames over FindGone/GoneFound): what failed, fixed since. Its two tests of a
 * pruned root above a collected callee (a VM uploading what GONE names never converges, at P = 1 too: a registration
 * refused for a gone callee names none) are described in partitions-part2-plan, session 31, and not here: CI runs
 * every test.
 */
class Review31Test extends FencesReviewBase {

    /** The walk id of the first FindGone partition 0 sent, once it was sent. */
    static long firstWalk(LinkedPartitions net) {
        LinkedPartitions.eventually("partition 0 asked a FindGone", () -> net.told.stream()
                .anyMatch(m -> m instanceof Coordinator.FindGone f && f.asker() == 0), () -> "told " + net.told);
        return net.told.stream().filter(m -> m instanceof Coordinator.FindGone f && f.asker() == 0)
                .map(m -> ((Coordinator.FindGone) m).walk()).findFirst().orElseThrow();
    }

    static TestProbe<AcquireReply> acquireAsync(LinkedPartitions net, BlobHash h) {
        TestProbe<AcquireReply> probe = net.kit.createTestProbe();
        net.entities.get(net.partitioning.partitionOf(h)).tell(new Acquire("n1", 1, net.seq(), h, probe.getRef()));
        return probe;
    }

    /**
     * A malformed GoneFound — its hashes with a null among them, as a corrupt or hostile peer sends it (GoneFound has
     * no compact constructor, and onGoneFound checks nothing but the walk id) — to a walk in flight throws in the
     * command handler: {@code GoneWalk.answered} builds {@code new Ask(from, hashes)}, whose {@code List.copyOf}
     * throws NullPointerException. The entity stops (the acquire is never answered, the partition is down until
     * sharding starts it again and it recovers). onFindGone checks its input ("no hashes, or a null one"), and issue
     * 19's rule is that no command, however extreme, makes the coordinator throw. Fix: validate GoneFound in
     * onGoneFound as onFindGone does (from in range, hashes non-null without nulls, found non-null), or have
     * GoneWalk.answered return nothing for a list with a null.
     */
    @Test
    void aGoneFoundWithANullAmongItsHashesStopsTheAskingEntity() {
        startWithACollected(System.currentTimeMillis());
        net.lost = m -> m instanceof Coordinator.FindGone; // the walk stays in flight
        TestProbe<AcquireReply> probe = acquireAsync(net, a);
        long walk = firstWalk(net);
        net.entities.get(0).tell(new Coordinator.GoneFound(walk, 1, Arrays.asList(b, null),
                new GoneWalk.Found(List.of(), Map.of())));
        net.kit.assertAlive(net.entities.get(0));
        AcquireReply reply = probe.expectMessageClass(AcquireReply.class, ACQUIRE_TIMEOUT);
        assertEquals(AcquireResult.GONE, reply.result(), reply.message());
    }
}
