package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.blobgc.ledger.LedgerFixture.h;
import static io.blobgc.ledger.LedgerFixture.hashes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The original's eight tests (seed/distributed_gc.rs), as behaviour of ours. */
class SeedBehaviourTest {

    @Test
    void defaultConfig() {
        LedgerSettings d = LedgerSettings.DEFAULTS;
        assertEquals(300_000, d.gracePeriodMs());
        assertEquals(600_000, d.staleThresholdMs());
        assertEquals(1, d.minNodesReporting());
    }

    @Test
    void registerAndQuery() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS);
        BlobHash x = h(0xAA);
        assertNull(f.status(x));
        f.register(x);
        assertEquals(BlobStatus.ACTIVE, f.status(x));
    }

    @Test
    void pinUnpin() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS);
        BlobHash x = h(0xBB);
        f.register(x);
        f.pin(x, "ops");
        assertEquals(BlobStatus.PINNED, f.status(x));
        f.unpin(x, "ops");
        assertEquals(BlobStatus.ACTIVE, f.status(x));
    }

    @Test
    void gcCycleNoReportsBelowMin() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0).withMinNodesReporting(2));
        f.register(h(1));
        f.full("n1");
        CycleOutcome o = f.cycle();
        assertTrue(o.frozen());
        assertTrue(o.marked().isEmpty());
        assertTrue(o.unreferenced().isEmpty());
        assertEquals(BlobStatus.ACTIVE, f.status(h(1)));
    }

    @Test
    void gcCycleActiveBlobNotCollected() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(0xCC);
        f.register(x);
        f.full("n1", x);
        for (int i = 0; i < 3; i++) {
            CycleOutcome o = f.cycle();
            assertTrue(o.marked().isEmpty());
            f.heartbeat("n1");
        }
        assertEquals(BlobStatus.ACTIVE, f.status(x));
        assertEquals(1L, f.ledger.counts().get(BlobStatus.ACTIVE));
    }

    @Test
    void gcCycleUnreferencedBlobCollectedAfterGrace() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(0xDD);
        f.register(x);
        f.full("n1");
        // ours: the first cycle sees it unreferenced; once the node has confirmed it absent, it is marked
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.heartbeat("n1");
        assertEquals(List.of(x), hashes(f.cycle().marked()));
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(x));
        f.heartbeat("n1");
        assertEquals(List.of(x), f.startDeletion());
        f.collect(List.of(x));
        assertEquals(BlobStatus.COLLECTED, f.status(x));
    }

    @Test
    void pinnedBlobNotCollected() {
        LedgerFixture f = LedgerFixture.noGrace();
        BlobHash x = h(0xEE);
        f.register(x);
        f.pin(x, "ops");
        f.full("n1");
        for (int i = 0; i < 3; i++) {
            assertTrue(f.cycle().marked().isEmpty());
            f.heartbeat("n1");
        }
        assertEquals(BlobStatus.PINNED, f.status(x));
        assertEquals(1L, f.ledger.counts().get(BlobStatus.PINNED));
    }

    @Test
    void collectionHistory() {
        LedgerFixture f = LedgerFixture.noGrace();
        f.register(h(1));
        f.full("n1");
        f.cycle();
        f.heartbeat("n1");
        f.cycle();
        List<HistoryEntry> marking = f.ledger.history(100).stream().filter(e -> !e.marked().isEmpty()).toList();
        assertEquals(1, marking.size());
        assertEquals(List.of(h(1)), hashes(marking.get(0).marked()));
        assertEquals(List.of("n1"), marking.get(0).confirmedBy());
    }
}
