package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.blobgc.ledger.LedgerFixture.h;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 19's defects that live in the rules, one test each, named by what must hold. */
class Round3DefectsTest {

    private static final long DAY = 24 * 3_600_000L;

    /** Collects every unused blob of {@code f}: cycles mark them (grace 0), a report confirms, the sweeper deletes. */
    private static List<BlobHash> collectUnused(LedgerFixture f) {
        for (int i = 0; i < 3; i++) {
            f.heartbeat("n1");
            f.cycle();
        }
        f.heartbeat("n1"); // confirms the mark: the sweeper may take them
        List<BlobHash> batch = f.startDeletion();
        f.collect(batch);
        return batch;
    }

    /** Issue 19, defect 4: a collected dependency cycle is pruned once its tombstones expire. */
    @Test
    void d4_tombstonesOfACollectedDependencyCycleArePruned() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash a = h(1), b = h(2), c = h(3);
        f.full("n1");
        f.registerWithDeps(a, b);
        f.registerWithDeps(b, a);
        f.registerWithDeps(c, a); // c → a: a chain into the cycle, collected too
        assertEquals(3, collectUnused(f).size());
        assertEquals(BlobStatus.COLLECTED, f.status(a));
        f.advance(DAY + 1);
        f.heartbeat("n1");
        CycleOutcome o = f.cycle();
        assertEquals(List.of(a, b, c).stream().sorted().toList(), o.prunedTombstones().stream().sorted().toList());
        assertEquals(0, f.ledger.knownBlobs(), "every tombstone of the collected cycle is gone");
        assertTrue(f.ledger.status(a).isEmpty() && f.ledger.status(b).isEmpty() && f.ledger.status(c).isEmpty());
    }

    /** A tombstone a known blob still depends on stays, whatever else is pruned around it (it carries the edge). */
    @Test
    void d4_aTombstoneWithALiveDependentStaysAndItsCycleWithIt() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash a = h(1), b = h(2), x = h(4);
        f.full("n1");
        f.registerWithDeps(a, b);
        f.registerWithDeps(b, a);
        assertEquals(2, collectUnused(f).size());
        f.advance(DAY + 1);
        f.heartbeat("n1");
        // x is registered onto the tombstone a before the prune (the coordinator would refuse it; a replay of an
        // old journal may hold it): a stays, and so does b, which a depends on
        f.registerWithDeps(x, a);
        f.full("n1", x);
        CycleOutcome o = f.cycle();
        assertEquals(List.of(), o.prunedTombstones());
        assertEquals(BlobStatus.COLLECTED, f.status(a));
        assertEquals(BlobStatus.COLLECTED, f.status(b));
    }

    /**
     * Issue 20 (registration cost): what a callee check learned is kept (a clean closure), and a blob deep in a
     * cached chain going DELETING takes every caller above it out: a registration onto the chain's top is refused.
     */
    @Test
    void aCalleeDeepInAKnownCleanChainGoingDeletingMakesItsCallersRefusedAgain() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash a = h(1), b = h(2), c = h(3);
        f.full("n1");
        f.register(c);
        for (int i = 0; i < 3; i++) {
            f.heartbeat("n1");
            f.cycle();
        }
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(c));
        f.registerWithDeps(b, c);
        f.registerWithDeps(a, b);
        assertTrue(f.ledger.hasContentInClosure(a), "a -> b -> c (MARKED) has content");
        f.heartbeat("n1");
        assertEquals(List.of(c), f.startDeletion());
        assertEquals(BlobStatus.DELETING, f.status(c));
        assertFalse(f.ledger.hasContentInClosure(a), "c is being deleted: a caller of a would be acquired for nothing");
        assertFalse(f.ledger.hasContentInClosure(b));
        BlobHash x = h(4);
        f.register(x);
        assertTrue(f.ledger.hasContentInClosure(x));
        f.registerWithDeps(x, a); // an edge to a callee not known clean: x is not known clean any more
        assertFalse(f.ledger.hasContentInClosure(x));
    }
}
