package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SweeperCore on a simulated clock: no actor, no store, no real time. */
class SweeperCoreTest {

    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000 * MS;

    private static List<BlobHash> hashes(int n) {
        List<BlobHash> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) l.add(BlobHash.sha256(("blob " + i).getBytes()));
        return l;
    }

    @Test
    void aBatchIsDeletedConfirmedWithItsBytesAndThenTheNextIsAskedFor() {
        SweeperCore core = new SweeperCore(1000, 1000, 60_000, 10 * SECOND);
        long now = 5 * SECOND; // any origin: the core only uses differences
        assertTrue(core.wake(now));
        assertFalse(core.wake(now), "one ask at a time");
        List<BlobHash> batch = hashes(3);
        assertEquals(Optional.empty(), core.batch(batch, now));
        assertFalse(core.batchDone());
        List<BlobHash> due = core.due(now);
        assertEquals(batch, due);
        assertThrows(IllegalStateException.class, () -> core.finishBatch(now), "results still outstanding");
        for (BlobHash h : due) core.deleted(h, 10);
        assertThrows(IllegalStateException.class, () -> core.deleted(due.get(0), 10), "reported twice");
        assertTrue(core.batchDone());
        assertEquals(Optional.of(new SweeperCore.Confirmation(batch, 30)), core.finishBatch(now));
        assertEquals(SweeperCore.NEXT_BATCH_DELAY_MS, core.nextWakeDelayMs());
        assertTrue(core.wake(now + SweeperCore.NEXT_BATCH_DELAY_MS * MS));
        var finished = core.batch(List.of(), now + SECOND).orElseThrow();
        assertEquals(new SweeperCore.Progress(3, 3, 0, SECOND), finished);
        assertTrue(core.wake(now + SECOND), "idle again");
        assertEquals(Optional.empty(), core.batch(List.of(), now + SECOND), "no sweep under way, nothing to report");
    }

    @Test
    void aFailedDeletionIsRetriedWithBackoffDoublingUpToTheMax() {
        long min = 1_000, max = 10_000;
        SweeperCore core = new SweeperCore(1000, min, max, 10 * SECOND);
        BlobHash h = hashes(1).get(0);
        long now = 0;
        long[] expected = {1_000, 2_000, 4_000, 8_000, 10_000, 10_000};
        for (int i = 0; i < expected.length; i++) {
            assertTrue(core.wake(now), "the wake after the backoff asks again (attempt " + i + ")");
            core.batch(List.of(h), now); // the coordinator hands the DELETING blob over again
            assertEquals(List.of(h), core.due(now));
            core.failed(h);
            assertEquals(Optional.empty(), core.finishBatch(now), "nothing deleted, nothing to confirm");
            assertEquals(i + 1, core.consecutiveFailures());
            assertEquals(expected[i], core.nextWakeDelayMs(), "backoff after " + (i + 1) + " failed batches");
            assertFalse(core.wake(now + expected[i] * MS - 1), "a wake during the backoff does not ask");
            now += expected[i] * MS;
        }
        // the store recovers: the retry succeeds and the backoff ends
        assertTrue(core.wake(now));
        core.batch(List.of(h), now);
        core.due(now).forEach(x -> core.deleted(x, 7));
        assertEquals(Optional.of(new SweeperCore.Confirmation(List.of(h), 7)), core.finishBatch(now));
        assertEquals(0, core.consecutiveFailures());
        assertEquals(SweeperCore.NEXT_BATCH_DELAY_MS, core.nextWakeDelayMs());
        assertTrue(core.wake(now), "no backoff after a batch that deleted something");
    }

    @Test
    void aBatchWithSomeDeletionsConfirmsThemAndDoesNotBackOff() {
        SweeperCore core = new SweeperCore(1000, 1000, 60_000, 10 * SECOND);
        List<BlobHash> batch = hashes(2);
        assertTrue(core.wake(0));
        core.batch(batch, 0);
        List<BlobHash> due = core.due(0);
        core.failed(due.get(0));
        core.deleted(due.get(1), 5);
        assertEquals(Optional.of(new SweeperCore.Confirmation(List.of(due.get(1)), 5)), core.finishBatch(0));
        assertEquals(0, core.consecutiveFailures());
        assertTrue(core.wake(0));
        var finished = core.batch(List.of(), 0).orElseThrow();
        assertEquals(1, finished.failed());
        assertEquals(1, finished.deleted());
    }

    @Test
    void progressIsReportedOncePerInterval() {
        SweeperCore core = new SweeperCore(1, 1000, 60_000, 10 * SECOND);
        assertEquals(Optional.empty(), core.progressDue(0), "no sweep under way");
        core.wake(0);
        core.batch(hashes(50), 0);
        assertEquals(Optional.empty(), core.progressDue(9 * SECOND));
        assertEquals(50, core.progressDue(10 * SECOND).orElseThrow().total());
        assertEquals(Optional.empty(), core.progressDue(15 * SECOND));
        assertTrue(core.progressDue(20 * SECOND).isPresent());
    }

    /**
     * Drives the core on a simulated clock in 100 ms steps from 0 s to 10 s (inclusive) with more work queued than
     * it may do, and returns how many hashes were due. A token bucket starting full allows rate × 10 s plus its burst.
     */
    private static int dueIn10SimulatedSeconds(double rate) {
        SweeperCore core = new SweeperCore(rate, 1000, 60_000, 10 * SECOND);
        core.wake(0);
        core.batch(hashes(20_000), 0);
        int count = 0;
        for (long now = 0; now <= 10 * SECOND; now += 100 * MS) {
            for (BlobHash h : core.due(now)) {
                core.deleted(h, 1);
                count++;
            }
        }
        return count;
    }

    @Test
    void rateLimitHoldsAtOneDeletionPerSecond() {
        int count = dueIn10SimulatedSeconds(1);
        assertTrue(count <= 11 && count >= 9, "rate 1/s over 10 s: expected 9..11 deletions, got " + count);
    }

    @Test
    void rateLimitHoldsAtTwoAndAHalfDeletionsPerSecond() {
        int count = dueIn10SimulatedSeconds(2.5);
        assertTrue(count <= 26 && count >= 24, "rate 2.5/s over 10 s: expected 24..26 deletions, got " + count);
    }

    @Test
    void rateLimitHoldsAtOneThousandDeletionsPerSecond() {
        int count = dueIn10SimulatedSeconds(1000);
        assertTrue(count <= 10_100 && count >= 9_900, "rate 1000/s over 10 s: expected 9900..10100 deletions, got "
                + count);
    }

    @Test
    void drivenByItsOwnDelaysTheCoreKeepsTheRateAndDeletesInBursts() {
        for (double rate : new double[]{1, 2.5, 7, 1000}) {
            SweeperCore core = new SweeperCore(rate, 1000, 60_000, 10 * SECOND);
            core.wake(0);
            core.batch(hashes(20_000), 0);
            long now = 0;
            int count = 0, rounds = 0;
            while (now <= 10 * SECOND) {
                List<BlobHash> due = core.due(now);
                assertFalse(due.isEmpty(), "woken after nanosUntilNextDeletion, something is due (rate " + rate + ")");
                for (BlobHash h : due) core.deleted(h, 1);
                count += due.size();
                rounds++;
                long wait = core.nanosUntilNextDeletion(now);
                assertTrue(wait > 0, "the bucket was just emptied");
                now += wait;
            }
            double burst = Math.max(1, rate * 0.1);
            assertTrue(count <= rate * 10 + burst && count >= rate * 10 - 1, "rate " + rate + ": " + count);
            assertTrue(rounds <= 10 * 10 + 1, "no more than one round per 0.1 s (rate " + rate + "): " + rounds);
        }
    }

    @Test
    void theBucketRefillsWhileIdleButNoFurtherThanItsBurst() {
        SweeperCore core = new SweeperCore(1000, 1000, 60_000, 10 * SECOND);
        core.wake(0);
        core.batch(hashes(1000), 0);
        assertEquals(100, core.due(0).size(), "starts full: 0.1 s worth");
        assertEquals(0, core.due(0).size());
        assertEquals(100 * MS, core.nanosUntilNextDeletion(0));
        assertEquals(50, core.due(50 * MS).size());
        assertEquals(100, core.due(3600 * SECOND).size(), "an hour later: still one burst");
        assertEquals(Long.MAX_VALUE, new SweeperCore(1, 0, 0, SECOND).nanosUntilNextDeletion(0), "nothing queued");
    }

    // ---- throttling: retries, pauses, AIMD

    private static SweeperCore throttlingCore(double rate) {
        return new SweeperCore(rate, 1000, 60_000, 10 * SECOND, new java.util.SplittableRandom(7));
    }

    @Test
    void throttledHashesAreRetriedAfterAPauseAtHalfTheRateAndNeverCountAsFailed() {
        SweeperCore core = throttlingCore(1000);
        List<BlobHash> batch = hashes(10);
        core.wake(0);
        core.batch(batch, 0, 30 * SECOND);
        List<BlobHash> due = core.due(0);
        assertEquals(batch, due);
        assertTrue(core.throttled(due.get(3)), "requeued");
        assertTrue(core.throttled(due.get(7)));
        for (BlobHash h : due) if (h != due.get(3) && h != due.get(7)) core.deleted(h, 1);
        long pause = core.storeAnswered(0, true);
        assertTrue(pause >= SweeperCore.FIRST_PAUSE_NANOS / 2 && pause <= SweeperCore.FIRST_PAUSE_NANOS, "" + pause);
        assertEquals(500.0, core.rate());
        assertEquals(List.of(), core.due(pause - 1), "nothing during the pause");
        assertEquals(pause, core.nanosUntilNextDeletion(0));
        List<BlobHash> retried = core.due(pause);
        assertEquals(List.of(batch.get(3), batch.get(7)), retried, "the throttled ones, in order");
        retried.forEach(h -> core.deleted(h, 1));
        assertEquals(0, core.storeAnswered(pause, false));
        assertTrue(core.batchDone());
        assertEquals(10, core.finishBatch(pause).orElseThrow().hashes().size(), "all ten confirmed");
        assertEquals(0, core.consecutiveFailures(), "throttling is no failure");
        assertEquals(SweeperCore.NEXT_BATCH_DELAY_MS, core.nextWakeDelayMs());
    }

    @Test
    void theRateHalvesPerPushBackDownToItsFloorAndClimbsBackAdditivelyToTheLimitNeverAbove() {
        SweeperCore core = throttlingCore(1000);
        core.wake(0);
        core.batch(hashes(1), 0);
        long now = 0;
        double expected = 1000;
        for (int i = 0; i < 12; i++) {
            now += core.storeAnswered(now, true);
            expected = Math.max(10, expected / 2);
            assertEquals(expected, core.rate(), "push-back " + (i + 1));
        }
        assertEquals(10.0, core.minRate(), "1% of the limit");
        int requests = 0;
        while (core.rate() < 1000) {
            core.storeAnswered(now, false);
            requests++;
        }
        assertEquals(50, requests, "2% of the limit back per request the store took");
        core.storeAnswered(now, false);
        assertEquals(1000.0, core.rate(), "never above the limit");
    }

    @Test
    void pausesDoubleWithEachPushBackInARowWithJitterUpToTheirCap() {
        SweeperCore core = throttlingCore(1000);
        core.wake(0);
        core.batch(hashes(1), 0);
        long cap = SweeperCore.FIRST_PAUSE_NANOS;
        java.util.Set<Long> seen = new java.util.HashSet<>();
        for (int i = 0; i < 10; i++) {
            long pause = core.storeAnswered(0, true);
            assertTrue(pause >= cap / 2 && pause <= cap, "push-back " + (i + 1) + ": " + pause + " of " + cap);
            seen.add(pause);
            cap = Math.min(SweeperCore.MAX_PAUSE_NANOS, cap * 2);
        }
        assertEquals(10, seen.size(), "jittered");
        core.storeAnswered(0, false);
        long pause = core.storeAnswered(0, true);
        assertTrue(pause <= SweeperCore.FIRST_PAUSE_NANOS, "a request taken ends the streak: " + pause);
    }

    @Test
    void aHashThrottledMoreThanItsRetriesCountsAsFailedOnce() {
        SweeperCore core = throttlingCore(1000);
        BlobHash h = hashes(1).get(0);
        core.wake(0);
        core.batch(List.of(h), 0);
        long now = 0;
        for (int i = 0; i < SweeperCore.THROTTLED_RETRIES; i++) {
            assertEquals(List.of(h), core.due(now));
            assertTrue(core.throttled(h), "retry " + (i + 1));
            now += core.storeAnswered(now, true);
            now += core.nanosUntilNextDeletion(now);
        }
        assertEquals(List.of(h), core.due(now));
        assertFalse(core.throttled(h), "retries ran out: failed");
        core.storeAnswered(now, true);
        assertTrue(core.batchDone());
        assertEquals(Optional.empty(), core.finishBatch(now));
        assertEquals(1, core.consecutiveFailures());
    }

    @Test
    void throttledHashesStillWaitingAtTheDeadlineAreHandedBackNotDeletedNorFailed() {
        SweeperCore core = throttlingCore(1000);
        List<BlobHash> batch = hashes(3);
        core.wake(0);
        core.batch(batch, 0, 50 * MS);
        List<BlobHash> due = core.due(0);
        due.forEach(core::throttled);
        long pause = core.storeAnswered(0, true);
        assertTrue(pause > 50 * MS, "the pause outlasts the deadline: " + pause);
        assertEquals(List.of(), core.due(pause), "the deadline came during the pause");
        assertTrue(core.batchDone());
        assertEquals(Optional.empty(), core.finishBatch(pause));
        assertEquals(new java.util.HashSet<>(batch), new java.util.HashSet<>(core.takeExpired()));
        assertEquals(0, core.consecutiveFailures());
    }

    @Test
    void unsentHashesGoBackToTheFrontInTheirOrder() {
        SweeperCore core = throttlingCore(1000);
        List<BlobHash> batch = hashes(5);
        core.wake(0);
        core.batch(batch, 0);
        List<BlobHash> due = core.due(0);
        core.notSent(due.subList(2, 5));
        assertEquals(3, core.queued());
        due.subList(0, 2).forEach(h -> core.deleted(h, 1));
        assertEquals(batch.subList(2, 5), core.due(SECOND));
    }
}
