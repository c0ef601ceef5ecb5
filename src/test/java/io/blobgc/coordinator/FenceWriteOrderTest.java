package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The glue's half of "a use is written before it is answered" ({@link DecisionEffects#runOut}; {@link FenceCoreTest}
 * has the core's): the chain a(0) → b(1) → c(2) → d(3) of {@link FencesReviewBase}, d waiting out its grace, and
 * partition 3's write of d's use refused by its journal. The {@code Protected} that write was for is never sent, so
 * the acquire of a is not ACQUIRED.
 */
class FenceWriteOrderTest extends FencesReviewBase {

    @Test
    void aHopWhoseWriteOfTheUseIsRefusedDoesNotAnswer() {
        startChain();
        net.full();
        net.settled();
        net.cyclesUntil("d, held by nothing, waits out its grace (a long one here)",
                () -> net.info(d).status() == BlobStatus.UNREFERENCED, () -> String.valueOf(net.info(d)));
        net.kit.journal.rejectNextPersisted(PartitionKit.pid(3));
        var reply = acquire(a);
        assertTrue(net.told.stream().anyMatch(m -> m instanceof Coordinator.Protect p && p.hashes().contains(d)),
                "the walk asked partition 3 for d: " + net.told);
        assertEquals(0, usesWritten(d), "the use of d refused by the journal: " + net.kit.written(3));
        assertEquals(0, answersFrom(3), "partition 3 answered a use it did not write: " + net.told.stream()
                .filter(m -> m instanceof Coordinator.Protected).toList());
        assertEquals(AcquireResult.UNAVAILABLE, reply.result(), reply.message());
    }

    /** The Protected answers of partition {@code p}. */
    private long answersFrom(int p) {
        return net.told.stream().filter(m -> m instanceof Coordinator.Protected a && a.from() == p).count();
    }

    /** Partition 3's writes of {@code h}'s use. */
    private long usesWritten(BlobHash h) {
        return net.kit.written(3).stream().filter(e -> e instanceof Coordinator.BlobsUsed u && u.hashes().contains(h))
                .count();
    }
}
