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
        SplittableRandom rnd = new SplittableRandom(3);
        IdTimeQueue q = new IdTimeQueue();
        List<long[]> model = new ArrayList<>(); // the entries from modelHead on
        int modelHead = 0;
        int next = 0;
        for (int step = 0; step < 200_000; step++) {
            int op = rnd.nextInt(100);
            int size = model.size() - modelHead;
            if (op < 55) {
                int burst = rnd.nextInt(10) == 0 ? rnd.nextInt(3 * IdTimeQueue.CHUNK) : 1;
                for (int k = 0; k < burst; k++, next++) {
                    q.addLast(next, next * 7L);
                    model.add(new long[]{next, next * 7L});
                }
            } else if (op < 97) {
                int n = Math.min(size, rnd.nextInt(10) == 0 ? rnd.nextInt(2 * IdTimeQueue.CHUNK) : 1);
                for (int k = 0; k < n; k++) q.removeFirst();
                modelHead += n;
            } else {
                int mod = 2 + rnd.nextInt(5);
                q.retainIf((id, t) -> id % mod != 0 && t == id * 7L);
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
                }
            }
            assertTrue(q.capacity() <= size + 2L * IdTimeQueue.CHUNK, "room for " + q.capacity() + " holding " + size);
        }
    }
}
