package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The status queues do not grow with churn (issue 24): a blob rescued from its grace (or from its mark) leaves a stale
 * entry, which is dropped only when it reaches the head; behind a blob that waits at the head, churn would pile up a
 * whole grace period of stale entries.
 */
class GraceQueueTest {

    private static BlobHash blob(int i) {
        byte[] b = new byte[32];
        ByteBuffer.wrap(b).putInt(i).putInt(~i * 31);
        return BlobHash.of(b);
    }

    /** Blobs {@code from} to {@code to}, inclusive. */
    private static List<BlobHash> blobs(int from, int to) {
        List<BlobHash> out = new ArrayList<>();
        for (int i = from; i <= to; i++) out.add(blob(i));
        return out;
    }

    @Test
    void churnBehindABlobInItsGraceKeepsTheQueueBounded() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(24 * 3600_000L));
        BlobHash waiting = blob(0);
        List<BlobHash> a = blobs(1, 1000), b = blobs(1001, 2000);
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

    @Test
    void churnOfMarkedBlobsBehindOneThatWaitsKeepsTheMarkedQueueBounded() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0));
        BlobHash waiting = blob(0);
        List<BlobHash> a = blobs(1, 1000), b = blobs(1001, 2000);
        f.full("n1", waiting);
        f.cycle();
        f.delta("n1", a, List.of(waiting)); // the one at the head: marked, and never handed out in this test
        for (int round = 0; round < 60; round++) {
            List<BlobHash> on = round % 2 == 0 ? b : a, off = round % 2 == 0 ? a : b;
            f.cycle(); // `off` go UNREFERENCED (grace 0), what was unreferenced is marked
            f.heartbeat("n1"); // confirms the marks of the cycle before
            f.cycle();
            f.heartbeat("n1");
            List<BlobHash> batch = f.ledger.planDeletion(10_000);
            assertEquals(batch.size(), new HashSet<>(batch).size(), "each marked blob once, however often re-marked");
            f.delta("n1", on, off); // the marked ones are used again: rescued, 1,000 stale entries a round
        }
        f.cycle(); // the last ones dropped are marked too: 1,001 marked, none protected
        f.heartbeat("n1");
        f.cycle();
        f.heartbeat("n1");
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(waiting));
        int capacity = f.ledger.markedQueueCapacity();
        assertTrue(capacity <= 8192, "the marked queue's room stays near twice the marked blobs, not 60 rounds' "
                + "churn: " + capacity);
        List<BlobHash> batch = f.ledger.planDeletion(10_000);
        assertTrue(batch.contains(waiting), "the one marked first is still handed out: " + batch.size());
        assertEquals(batch.size(), new HashSet<>(batch).size(), "each marked blob once");
        assertEquals(f.ledger.counts().get(BlobStatus.MARKED_FOR_COLLECTION), (long) batch.size(),
                "every marked blob, and only they");
    }

    @Test
    void aBlobMarkedRescuedAndMarkedAgainIsHandedOutOnce() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0));
        BlobHash first = blob(7000), x = blob(7001);
        f.full("n1", first, x);
        f.cycle();
        f.delta("n1", List.of(), List.of(first, x));
        for (int round = 0; round < 3; round++) {
            f.cycle(); // x goes UNREFERENCED
            f.heartbeat("n1");
            assertEquals(2, f.cycle().marked().size() + (round == 0 ? 0 : 1)); // x marked (first stays marked)
            f.heartbeat("n1");
            assertEquals(List.of(first, x), f.ledger.planDeletion(100), "round " + round + ": each once, in mark order");
            f.delta("n1", List.of(x), List.of()); // x used again: rescued
            f.cycle();
            f.delta("n1", List.of(), List.of(x));
        }
    }

    @Test
    void markedBlobsAreHandedOutInTheOrderTheyWereMarked() {
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(0));
        List<BlobHash> blobs = new ArrayList<>();
        for (int i = 0; i < 40; i++) blobs.add(blob(5000 + i));
        f.full("n1", blobs.toArray(BlobHash[]::new));
        f.cycle();
        List<BlobHash> order = new ArrayList<>();
        for (int i = 39; i >= 0; i -= 4) { // dropped a few at a time: marked in this order over the cycles
            f.delta("n1", List.of(), blobs.subList(i - 3, i + 1));
            f.cycle();
            f.heartbeat("n1");
            order.addAll(f.cycle().marked().stream().map(CycleOutcome.MarkedBlob::hash).toList());
            f.heartbeat("n1");
        }
        assertEquals(40, order.size());
        assertEquals(order, f.ledger.planDeletion(1000), "oldest mark first");
    }

    /**
     * Issue 26, item 3 (found by ClockSkewTest): a coordinator whose clock is 10 min behind its predecessor's took over.
     * The grace of a blob its predecessor made unreferenced is stretched by the skew; a blob unused after the move
     * waits out its grace by the new clock, and is marked then, though it is queued behind the stretched one.
     */
    @Test
    void aGraceBegunAfterTheClockWentBackIsOverByThatClockBehindOneItStretched() {
        long grace = 60_000;
        LedgerFixture f = new LedgerFixture(LedgerSettings.DEFAULTS.withGracePeriodMs(grace));
        BlobHash stretched = blob(1), later = blob(2), latest = blob(3);
        f.full("n1", stretched, later, latest);
        f.cycle();
        f.delta("n1", List.of(), List.of(stretched));
        f.cycle(); // stretched's grace begins at the first coordinator's time
        f.now -= 600_000; // the next coordinator's clock is 10 min behind
        f.delta("n1", List.of(), List.of(later));
        f.cycle(); // later's grace begins 10 min before stretched's, behind it in the queue
        f.advance(1000);
        f.delta("n1", List.of(), List.of(latest));
        f.cycle();
        f.advance(grace - 1000);
        for (int i = 0; i < 2; i++) {
            f.heartbeat("n1");
            f.cycle();
        }
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(later), "its grace is over by the clock that began it");
        assertEquals(BlobStatus.UNREFERENCED, f.status(latest), "1 s of its grace left");
        assertEquals(BlobStatus.UNREFERENCED, f.status(stretched), "stretched by the skew");
        f.advance(1000);
        f.heartbeat("n1");
        f.cycle();
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(latest));
        assertEquals(BlobStatus.UNREFERENCED, f.status(stretched));
        f.advance(600_000);
        f.heartbeat("n1");
        f.cycle();
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, f.status(stretched), "marked once the skew has passed");
    }
}
