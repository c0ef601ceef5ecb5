package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;


/**
 * A linked entity's acquire answered GONE names the whole gone closure across partitions ({@link GoneNames}), as a
 * VM needs to upload it again: four linked entities over messages. Review 30: a (partition 0) calls b (1), b calls b2
 * (1); with b2 collected, what partition 0 knows never names b2, and a VM uploads the rest again and again, each
 * registration refused for b2.
 */
class GoneNamesTest extends FencesReviewBase {

    @Test
    void anAcquireOfAGoneBlobNamesAGoneBlobBelowItsRemoteCallee() throws IOException {
        seedGoneChain(true);
        assertGoneNaming(acquire(a), a, b, b2);
    }

    @Test
    void anAcquireWhoseWalkFindsARemoteCalleeGoneNamesWhatIsGoneBelowIt() throws IOException {
        seedGoneChain(false);
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
        startAll();
        assertGoneNaming(acquire(a), a, b, d); // b and c are there; d, three partitions away, is gone
    }
}
