package io.blobgc.ledger;

import java.util.Arrays;

/**
 * The report tick at which each of the last {@link #KEPT} cycles was applied, in a primitive ring by cycle number (a
 * cycle asks this of every candidate: a boxed map lookup each was an eighth of the benchmark's time). Cycles are
 * applied in increasing order; a cycle not recorded — skipped, or older than those kept — reads as the latest tick
 * of those dropped ({@link #oldestEvicted}): conservative, it is no later than any kept.
 */
final class CycleTicks {

    /** How many recent cycles are kept. */
    static final int KEPT = 100_000;
    private static final long NONE = -1;
    private long[] ticks = new long[1024];
    /** The cycles kept are {@code lo..hi}; none yet while {@code hi < lo}. */
    private long lo = 0, hi = -1;
    private long oldestEvicted;

    /** Cycle {@code cycle} was applied at report tick {@code tick} (ticks are never negative). */
    void put(long cycle, long tick) {
        if (hi < lo) {
            lo = cycle;
            hi = cycle - 1;
        }
        if (cycle < lo) { // older than those kept (never today: cycles are applied in order): evicted at once,
            oldestEvicted = Math.max(oldestEvicted, tick); // so that it never reads as a tick earlier than its own
            return;
        }
        if (cycle <= hi) {
            ticks[slot(cycle)] = tick;
            return;
        }
        if (cycle - hi > KEPT) { // none of those kept stays kept
            while (lo <= hi) evictLowest();
            lo = cycle;
            hi = cycle - 1;
        }
        while (hi < cycle) { // cycles in between were not applied here: recorded as missing
            hi++;
            if (hi - lo + 1 > KEPT) evictLowest();
            if (hi - lo + 1 > ticks.length) grow();
            ticks[slot(hi)] = hi == cycle ? tick : NONE;
        }
    }

    /** The tick cycle {@code cycle} was applied at, or the conservative stand-in when it is not kept. */
    long get(long cycle) {
        if (cycle < lo || cycle > hi) return oldestEvicted;
        long t = ticks[slot(cycle)];
        return t == NONE ? oldestEvicted : t;
    }

    private void evictLowest() {
        long t = ticks[slot(lo)];
        if (t != NONE) oldestEvicted = Math.max(oldestEvicted, t);
        lo++;
    }

    private int slot(long cycle) {
        return (int) (cycle & (ticks.length - 1));
    }

    private void grow() {
        long[] next = new long[ticks.length * 2];
        Arrays.fill(next, NONE);
        for (long c = lo; c < hi; c++) next[(int) (c & (next.length - 1))] = ticks[slot(c)];
        ticks = next;
    }
}
