package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The grace queue does not grow with churn (issue 24): a blob rescued from its grace leaves a stale entry, which is
 * dropped only when it reaches the head; behind a blob that waits out a long grace at the head, churn would pile up
 * a whole grace period of stale entries.
 */
class GraceQueueTest {

    private static BlobHash blob(int i) {
        byte[] b = new byte[32];
        ByteBuffer.wrap(b).putInt(i).putInt(~i * 31);
        return BlobHash.of(b);
    }

    @Test
    void churnBehindABlobInItsGraceKeepsTheQueueBounded() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(24 * 3600_000L));
        BlobHash waiting = blob(0);
        List<BlobHash> a = new ArrayList<>(), b = new ArrayList<>();
        for (int i = 1; i <= 1000; i++) a.add(blob(i));
        for (int i = 1001; i <= 2000; i++) b.add(blob(i));
        f.full("n1", waiting);
        f.cycle();
        f.delta("n1", a, List.of(waiting)); // the one at the head: unreferenced for the whole test
        f.cycle();
        for (int round = 0; round < 60; round++) {
            List<BlobHash> on = round % 2 == 0 ? b : a, off = round % 2 == 0 ? a : b;
            f.delta("n1", on, off); // 1,000 rescued, 1,000 start their grace: 1,000 entries a cycle
            f.advance(1000);
            f.cycle();
        }
        assertEquals(BlobStatus.UNREFERENCED, f.status(waiting));
        assertEquals(1001L, f.ledger.counts().get(BlobStatus.UNREFERENCED));
        int capacity = f.ledger.graceQueueCapacity();
        assertTrue(capacity <= 8192, "the queue's room stays near twice the blobs in grace, not 60 cycles' churn: "
                + capacity);
    }
}
