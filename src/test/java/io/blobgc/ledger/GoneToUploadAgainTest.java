package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a linked partition's acquire of a gone blob answers GONE with ({@link PartitionedLedger#goneToUploadAgain}):
 * a VM told GONE uploads what the answer names, then acquires again. Found by {@code demo --partitions 4} (session
 * 30): a function (partition 0) and its library (partition 1) both collected, the function's acquire answered GONE
 * naming the function alone; the VM uploaded it again and again, each registration refused for its gone library,
 * which nothing named — the function's content left in the store, unregistered, every time.
 */
class GoneToUploadAgainTest {

    private static final BlobHash F = TwoPartitions.in(0, 1), LIB = TwoPartitions.in(1, 1), G = TwoPartitions.in(0, 2),
            H = TwoPartitions.in(0, 3);

    /** Partition 0 hosted alone: f calls lib (partition 1); g calls h (both partition 0), h calls lib. */
    private static PartitionedLedger partition0() {
        return TwoPartitions.hosted(0, List.of(new Registration(F, List.of(LIB)), new Registration(H, List.of(LIB)),
                new Registration(G, List.of(H))), 0, false, 0);
    }

    /** {@code x} unreferenced and marked by a cycle of partition 0, then deleted: COLLECTED, as the events say. */
    private static void collect(PartitionedLedger l, BlobHash x) {
        l.applyCycle(0, new CycleOutcome(1, 1_000, false, false, false, List.of(x), List.of(), List.of(), List.of(),
                List.of(new CycleOutcome.MarkedBlob(x, 1_000)), List.of(), List.of(), List.of(), List.of(), 0));
        l.applyDeletionStarted(List.of(x), 2_000);
        l.applyCollected(List.of(x), 3_000);
        assertEquals(BlobStatus.COLLECTED, l.status(x).orElseThrow());
    }

    @Test
    void aGoneBlobsRemoteCalleesAreNamedWithItTheirOwnerAloneKnowingWhetherTheyAreGoneToo() {
        PartitionedLedger l = partition0();
        collect(l, F);
        assertEquals(List.of(F), l.localGoneInClosure(F, true), "what the partition knows is gone");
        assertEquals(List.of(F, LIB), l.goneToUploadAgain(F), "and the callee in partition 1 to upload again");
    }

    @Test
    void theRemoteCalleesBelowAGoneCalleeAreNamedAndNothingForABlobWhoseClosureHereIsThere() {
        PartitionedLedger l = partition0();
        assertEquals(List.of(), l.goneToUploadAgain(G), "nothing gone here: the walk asks the owners");
        collect(l, H);
        assertEquals(List.of(H, LIB), l.goneToUploadAgain(G), "g's gone callee h, and h's callee in partition 1");
    }
}
