package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A GONE names the whole gone closure across partitions ({@link GoneWalk}, {@link PartitionedLedger#goneBelow}), two
 * hosted partitions answering each other by hand. Review 30: f (partition 0) calls lib (1), lib calls lib2 (1); f and
 * lib2 collected, lib still there. What partition 0 knows names f and lib; a VM that uploads those has lib refused (its
 * callee lib2 has no content) and f refused (lib's closure gone), and acquires f again to be told the same, for ever.
 */
class GoneWalkTest {

    private static final BlobHash F = TwoPartitions.in(0, 1), X = TwoPartitions.in(0, 2), LIB = TwoPartitions.in(1, 1),
            LIB2 = TwoPartitions.in(1, 2), Y = TwoPartitions.in(1, 3);

    private final PartitionedLedger[] hosts = {
            TwoPartitions.hosted(0, List.of(new Registration(F, List.of(LIB)), new Registration(X, List.of(Y))), 0,
                    false, 0),
            TwoPartitions.hosted(1, List.of(new Registration(LIB2, List.of()), new Registration(Y, List.of()),
                    new Registration(LIB, List.of(LIB2, X))), 0, false, 0)};

    /** {@code x} unreferenced and marked by a cycle of its partition, then deleted: COLLECTED, as the events say. */
    private void collect(BlobHash x) {
        int p = TwoPartitions.P2.partitionOf(x);
        PartitionedLedger l = hosts[p];
        l.applyCycle(p, new CycleOutcome(1, 1_000, false, false, false, List.of(x), List.of(), List.of(), List.of(),
                List.of(new CycleOutcome.MarkedBlob(x, 1_000)), List.of(), List.of(), List.of(), List.of(), 0));
        l.applyDeletionStarted(List.of(x), 2_000);
        l.applyCollected(List.of(x), 3_000);
        assertEquals(BlobStatus.COLLECTED, l.status(x).orElseThrow());
    }

    /** Partition 0's acquire of {@code hash}, answered GONE: the walk from what it knows, every ask answered. */
    private GoneWalk walkFrom(BlobHash hash) {
        GoneWalk walk = new GoneWalk(hosts[0].goneToUploadAgain(hash));
        List<GoneWalk.Ask> asks = new ArrayList<>(walk.start(hosts[0].goneBelow(List.of(hash)).below()));
        while (!asks.isEmpty()) {
            GoneWalk.Ask a = asks.remove(0);
            asks.addAll(walk.answered(a.to(), a.hashes(), hosts[a.to()].goneBelow(a.hashes())));
        }
        assertTrue(walk.done());
        return walk;
    }

    @Test
    void aGoneBlobBelowARemoteCalleeIsNamed() {
        collect(F);
        collect(LIB2);
        assertEquals(List.of(F, LIB), hosts[0].goneToUploadAgain(F), "what partition 0 knows: not lib2");
        assertEquals(List.of(F, LIB, LIB2), walkFrom(F).gone(), "lib's owner names lib2, gone below it");
    }

    @Test
    void theWalkGoesOnBelowCalleesThatAreThereToAThirdHop() {
        collect(F);
        collect(Y); // f(0) → lib(1) → x(0) → y(1): y is below two present hops
        assertEquals(List.of(F, LIB, Y), walkFrom(F).gone());
    }

    @Test
    void nothingGoneBelowNamesWhatThePartitionKnewAlone() {
        collect(F);
        assertEquals(List.of(F, LIB), walkFrom(F).gone(), "lib, x and y are there: the names stay as they were");
    }

    @Test
    void theOwnerNamesAnUnknownAskedHashAndTheRemoteCalleesBelowAClosure() {
        GoneWalk.Found lib = hosts[1].goneBelow(List.of(LIB));
        assertEquals(List.of(), lib.gone());
        assertEquals(Map.of(0, List.of(X)), lib.below(), "lib calls x (partition 0); lib2 is its own");
        BlobHash unknown = TwoPartitions.in(1, 9);
        assertEquals(List.of(unknown), hosts[1].goneBelow(List.of(unknown)).gone(), "never registered: upload it");
        assertEquals(new GoneWalk.Found(List.of(), Map.of()), hosts[1].goneBelow(List.of(F)),
                "a hash partition 1 does not own is left out");
    }

    @Test
    void aDuplicateOrMismatchedAnswerChangesNothingAndEachHashIsAskedOnce() {
        GoneWalk walk = new GoneWalk(List.of(F));
        List<GoneWalk.Ask> asks = walk.start(Map.of(1, List.of(LIB, LIB)));
        assertEquals(List.of(new GoneWalk.Ask(1, List.of(LIB))), asks, "lib once");
        GoneWalk.Found found = new GoneWalk.Found(List.of(LIB2), Map.of(0, List.of(X)));
        assertEquals(List.of(), walk.answered(0, List.of(LIB), found), "answered by a partition not asked");
        assertEquals(List.of(), walk.answered(1, List.of(LIB, LIB2), found), "hashes not asked");
        assertFalse(walk.done());
        assertEquals(List.of(new GoneWalk.Ask(0, List.of(X))), walk.answered(1, List.of(LIB), found));
        assertEquals(List.of(), walk.answered(1, List.of(LIB), found), "the same answer again");
        assertEquals(List.of(), walk.answered(0, List.of(X), new GoneWalk.Found(List.of(), Map.of(1, List.of(LIB)))),
                "lib again below x (a cycle): asked once");
        assertTrue(walk.done());
        assertEquals(List.of(F, LIB2), walk.gone());
    }
}
