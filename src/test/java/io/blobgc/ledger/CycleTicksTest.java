package io.blobgc.ledger;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@link CycleTicks} answers as the boxed map it replaced: the last 100,000 cycles, the latest evicted tick else. */
class CycleTicksTest {

    /** The map the planner kept before (issue 24): a boxed lookup per candidate. */
    private static final class Reference {
        long oldestEvicted;
        final LinkedHashMap<Long, Long> map = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
                if (size() <= CycleTicks.KEPT) return false;
                oldestEvicted = Math.max(oldestEvicted, eldest.getValue());
                return true;
            }
        };

        long get(long cycle) {
            Long t = map.get(cycle);
            return t != null ? t : oldestEvicted;
        }
    }

    /** Applies {@code n} cycles to both (a gap now and then when {@code gaps}) and compares answers as it goes. */
    private static void compare(int n, boolean gaps, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        CycleTicks ticks = new CycleTicks();
        Reference ref = new Reference();
        long cycle = 1_000, tick = 0;
        assertEquals(ref.get(5), ticks.get(5));
        for (int i = 0; i < n; i++) {
            cycle += gaps && rnd.nextInt(100) == 0 ? 2 + rnd.nextInt(3) : 1; // a cycle not applied here
            tick += rnd.nextInt(4);
            ticks.put(cycle, tick);
            ref.map.put(cycle, tick);
            if (i % 97 == 0) {
                for (int k = 0; k < 20; k++) {
                    long probe = cycle - rnd.nextLong(2L * CycleTicks.KEPT + 10) + 5;
                    assertEquals(ref.get(probe), ticks.get(probe), "cycle " + probe + " after " + cycle);
                }
            }
        }
    }

    /** Cycles are applied one after the other: through growth and eviction, the same answers. */
    @Test
    void answersAsTheMapItReplacedThroughGrowthAndEviction() {
        compare(250_000, false, 5);
    }

    /**
     * A cycle not applied here (none is skipped today; a recovery starts a new range) reads as missing, as in the map;
     * the ring keeps the last {@link CycleTicks#KEPT} cycle numbers where the map kept as many entries, so with gaps it
     * evicts a little earlier: conservative (an evicted cycle reads as a tick no earlier than its own).
     */
    @Test
    void aCycleNotAppliedReadsAsMissing() {
        compare(50_000, true, 6);
    }

    @Test
    void aJumpPastEverythingKeptEvictsItAll() {
        CycleTicks ticks = new CycleTicks();
        for (long c = 1; c <= 10; c++) ticks.put(c, c * 10);
        ticks.put(10 + CycleTicks.KEPT + 1, 500);
        assertEquals(100, ticks.get(5), "evicted: the latest tick of those dropped");
        assertEquals(500, ticks.get(10 + CycleTicks.KEPT + 1));
    }
}
