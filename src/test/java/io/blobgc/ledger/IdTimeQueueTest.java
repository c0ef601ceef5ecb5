package io.blobgc.ledger;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chunked queue behaves as a list of (id, time) pairs through adds, removals from the head and compactions. */
class IdTimeQueueTest {

    @Test
    void behavesAsAListThroughChunkBoundariesRingGrowthAndCompaction() {
        behavesAsAList(1, false); // every entry its own time: as many runs as entries
    }

    /**
     * Issue 26, item 3: times that go back now and then (a coordinator whose clock is behind took over). The queue says
     * whether its times are in order, and where each run of equal times ends, as the list it holds does.
     */
    @Test
    void knowsWhetherItsTimesAreInOrderWhenTheClockGoesBackNowAndThen() {
        behavesAsAList(1, true);
        behavesAsAList(50, true);
    }

    /** Entries in batches that share a time, as a cycle's or a sweeper's: runs of times that removals and compactions cut. */
    @Test
    void behavesAsAListWhenEntriesShareTheirTimesInBatches() {
        behavesAsAList(50, false);
    }

    /** The times of a million entries added in batches of 10,000 take a hundred runs (issue 24: 4 bytes an entry). */
    @Test
    void batchesThatShareATimeTakeOneRunEach() {
        IdTimeQueue q = new IdTimeQueue();
        for (int i = 0; i < 1_000_000; i++) q.addLast(i, 1_000L * (i / 10_000));
        assertEquals(100, q.runs());
        for (int i = 0; i < 15_000; i++) q.removeFirst();
        assertEquals(99, q.runs());
        assertEquals(1_000L, q.time(0));
        assertEquals(2_000L, q.time(5_000));
        q.retainIf((id, t) -> id % 10_000 != 0);
        assertEquals(99, q.runs());
        assertEquals(1_000_000 - 15_000 - 98, q.size());
    }

    /**
     * Entry {@code id}'s time: {@code sharing} consecutive entries share one; with {@code goesBack}, every other stretch of
     * 3,000 entries is 9,996 ms earlier than the stretch before it (a multiple of 7: its times meet earlier ones, so
     * a compaction can join runs across a step back).
     */
    private static long timeOf(int id, int sharing, boolean goesBack) {
        long t = id / sharing * 7L;
        return goesBack && (id / 3000) % 2 == 1 ? t - 9_996 : t;
    }

    /** {@code sharing}: how many consecutive entries share a time. */
    private static void behavesAsAList(int sharing, boolean goesBack) {
        SplittableRandom rnd = new SplittableRandom(3);
        IdTimeQueue q = new IdTimeQueue();
        List<long[]> model = new ArrayList<>(); // the entries from modelHead on
        int modelHead = 0;
        int next = 0;
        for (int step = 0; step < (goesBack ? 80_000 : 200_000); step++) {
            int op = rnd.nextInt(100);
            int size = model.size() - modelHead;
            if (op < 55) {
                int burst = rnd.nextInt(10) == 0 ? rnd.nextInt(3 * IdTimeQueue.CHUNK) : 1;
                for (int k = 0; k < burst; k++, next++) {
                    q.addLast(next, timeOf(next, sharing, goesBack));
                    model.add(new long[]{next, timeOf(next, sharing, goesBack)});
                }
            } else if (op < 97) {
                int n = Math.min(size, rnd.nextInt(10) == 0 ? rnd.nextInt(2 * IdTimeQueue.CHUNK) : 1);
                for (int k = 0; k < n; k++) q.removeFirst();
                modelHead += n;
            } else {
                int mod = 2 + rnd.nextInt(5);
                q.retainIf((id, t) -> id % mod != 0 && t == timeOf(id, sharing, goesBack));
                List<long[]> kept = new ArrayList<>();
                for (int i = modelHead; i < model.size(); i++) if (model.get(i)[0] % mod != 0) kept.add(model.get(i));
                model = kept;
                modelHead = 0;
            }
            size = model.size() - modelHead;
            assertEquals(size, q.size());
            if (size > 0 && step % 50 == 0) {
                for (int k = 0; k < 5; k++) {
                    int i = rnd.nextInt(size);
                    assertEquals(model.get(modelHead + i)[0], q.id(i), "id at " + i);
                    assertEquals(model.get(modelHead + i)[1], q.time(i), "time at " + i);
                    if (!goesBack) continue;
                    int end = i + 1;
                    while (end < size && model.get(modelHead + end)[1] == model.get(modelHead + i)[1]) end++;
                    assertEquals(end, q.runEnd(i), "end of the run of " + i);
                }
            }
            if (!goesBack) assertTrue(q.inTimeOrder(), "times that only go forward are in order");
            if (goesBack && size > 0 && step % 500 == 0) {
                boolean inOrder = true;
                for (int i = modelHead + 1; i < model.size() && inOrder; i++) {
                    inOrder = model.get(i - 1)[1] <= model.get(i)[1];
                }
                assertEquals(inOrder, q.inTimeOrder(), "in time order at step " + step);
            }
            assertTrue(q.capacity() <= size + 2L * IdTimeQueue.CHUNK, "room for " + q.capacity() + " holding " + size);
        }
    }
}
