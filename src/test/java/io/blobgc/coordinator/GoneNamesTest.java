package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A linked entity's acquire answered GONE names the whole gone closure across partitions ({@link GoneNames}), as a
 * VM needs to upload it again: four linked entities over messages. Review 30: a (partition 0) calls b (1), b calls b2
 * (1); with b2 collected, what partition 0 knows never names b2, and a VM uploads the rest again and again, each
 * registration refused for b2.
 */
class GoneNamesTest extends FencesReviewBase {

    private BlobHash b2;

    private void seedChain(boolean aCollected, long now) throws IOException {
        b2 = net.stored(1, "b2");
        List<Coordinator.Event> zero = new ArrayList<>(List.of(registered(a, b)));
        if (aCollected) zero.addAll(collected(a, now));
        net.seed(0, zero.toArray(Coordinator.Event[]::new));
        List<Coordinator.Event> one = new ArrayList<>(List.of(registered(b2, null), registered(b, b2)));
        one.addAll(collected(b2, now));
        net.seed(1, one.toArray(Coordinator.Event[]::new));
        net.seed(2);
        net.seed(3);
        for (int p = 0; p < 4; p++) net.start(p);
        net.full();
        net.settled();
    }

    private static void assertGoneNaming(AcquireReply reply, BlobHash... named) {
        assertEquals(AcquireResult.GONE, reply.result(), reply.message());
        assertEquals(Set.of(named), Set.copyOf(reply.gone()), reply.message());
    }

    @Test
    void anAcquireOfAGoneBlobNamesAGoneBlobBelowItsRemoteCallee() throws IOException {
        seedChain(true, System.currentTimeMillis());
        assertGoneNaming(acquire(a), a, b, b2);
    }

    @Test
    void anAcquireWhoseWalkFindsARemoteCalleeGoneNamesWhatIsGoneBelowIt() throws IOException {
        seedChain(false, System.currentTimeMillis());
        assertGoneNaming(acquire(a), b, b2);
    }

    @Test
    void theNamesGoOnBelowRemoteCalleesThatAreThereThreeHopsAway() {
        long now = System.currentTimeMillis();
        List<Coordinator.Event> zero = new ArrayList<>(List.of(registered(a, b)));
        zero.addAll(collected(a, now));
        net.seed(0, zero.toArray(Coordinator.Event[]::new));
        net.seed(1, registered(b, c));
        net.seed(2, registered(c, d));
        List<Coordinator.Event> three = new ArrayList<>(List.of(registered(d, null)));
        three.addAll(collected(d, now));
        net.seed(3, three.toArray(Coordinator.Event[]::new));
        for (int p = 0; p < 4; p++) net.start(p);
        net.full();
        net.settled();
        assertGoneNaming(acquire(a), a, b, d); // b and c are there; d, three partitions away, is gone
    }
}
