package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cycle decides at most {@code max-transitions-per-cycle} status changes (one journal event holds them, issue 24);
 * the candidates it did not look at wait for the next cycle, with what they carried (a use since the last cycle).
 */
class PagedCycleTest {

    private static BlobHash blob(int i) {
        byte[] b = new byte[32];
        ByteBuffer.wrap(b).putInt(i).putInt(i * 7919);
        return BlobHash.of(b);
    }

    @Test
    void aBulkChangeIsDecidedOverSeveralCyclesOfAtMostTheLimit() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0).withMaxTransitionsPerCycle(10));
        List<BlobHash> blobs = new ArrayList<>();
        for (int i = 0; i < 25; i++) blobs.add(blob(i));
        f.full("n1");
        f.register(blobs.toArray(BlobHash[]::new));
        List<Integer> sizes = new ArrayList<>();
        for (int c = 0; c < 4; c++) sizes.add(f.cycle().unreferenced().size());
        assertEquals(List.of(10, 10, 5, 0), sizes, "25 new, unused blobs: 10, 10, then 5 go UNREFERENCED");
        for (BlobHash b : blobs) assertEquals(BlobStatus.UNREFERENCED, f.status(b));
    }

    @Test
    void aCandidateLeftForTheNextCycleIsNeitherMarkedNorDeletedMeanwhile() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(1000).withMaxTransitionsPerCycle(1));
        BlobHash x = blob(1), y = blob(2);
        f.full("n1", x, y);
        f.cycle();
        f.delta("n1", List.of(), List.of(x, y));
        f.cycle(); // one of them goes UNREFERENCED, the other waits (still ACTIVE)
        f.cycle(); // the other
        assertEquals(BlobStatus.UNREFERENCED, f.status(x));
        assertEquals(BlobStatus.UNREFERENCED, f.status(y));
        f.advance(5000);
        f.heartbeat("n1");
        // a brief use of both between two cycles: each must start its grace again, however long it waits its turn
        f.delta("n1", List.of(x, y), List.of());
        f.delta("n1", List.of(), List.of(x, y));
        f.heartbeat("n1");
        for (int c = 0; c < 2; c++) {
            CycleOutcome o = f.cycle();
            assertTrue(o.marked().isEmpty(), "nothing marked while its renewed grace runs: " + o.marked());
            assertEquals(1, o.unreferenced().size(), "one grace restarted per cycle");
            f.heartbeat("n1");
        }
        assertTrue(f.startDeletion().isEmpty());
    }
}
