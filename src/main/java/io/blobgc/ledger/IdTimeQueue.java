package io.blobgc.ledger;

import java.util.Arrays;

/**
 * A FIFO of (blob id, time) pairs, in chunks of {@value #CHUNK} ids (16 KiB): it grows by a chunk and gives back
 * emptied ones, so a queue of millions is never one huge array, never copied whole to grow, and never needs twice its
 * size while it does (issue 24: ten million blobs in a 1 GiB heap). The times are kept as runs, one (time, end) per
 * stretch of consecutive entries with the same time: entries come in batches that share one (a cycle's, a sweeper
 * batch's), so an entry costs its 4-byte id and the queue of a million marked blobs some hundred runs (issue 24: the
 * marked queue was 12 bytes a marked blob, a third of them in the benchmark's steady state). Entries whose times all
 * differ cost 16 bytes more each: still correct, only bigger.
 */
final class IdTimeQueue {
    static final int CHUNK = 1 << 12;
    private static final int CHUNK_BITS = 12;
    /** A ring of chunks: the head entry is in chunk {@code first}, at {@code head}. */
    private int[][] ids = new int[4][];
    private int first;
    private int chunks;
    private int head;
    private int size;
    /** The head entry's position: every entry has one, counted from the first ever added, and keeps it. */
    private long headPos;
    /** The runs of equal times, oldest first, from {@code firstRun}: run r's entries end before position {@code runEnds[r]}. */
    private long[] runTimes = new long[8];
    private long[] runEnds = new long[8];
    private int firstRun;
    private int runs;
    /** How many runs have a later time than the run after them: 0 while the times only go forward (see {@link #inTimeOrder}). */
    private int descents;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void addLast(int id, long time) {
        int pos = head + size;
        if (pos >>> CHUNK_BITS == chunks) addChunk();
        ids[chunk(pos)][pos & (CHUNK - 1)] = id;
        size++;
        addToRuns(time, headPos + size);
    }

    /** The i-th entry from the head. */
    int id(int i) {
        int pos = head + i;
        return ids[chunk(pos)][pos & (CHUNK - 1)];
    }

    long time(int i) {
        return runTimes[runOf(headPos + i)];
    }

    void removeFirst() {
        head++;
        size--;
        headPos++;
        while (runs > 0 && runEnds[firstRun] <= headPos) { // the head entry was its run's last
            if (runs > 1 && runTimes[firstRun] > runTimes[firstRun + 1]) descents--;
            firstRun++;
            runs--;
        }
        if (head == CHUNK) {
            dropFirstChunk();
            head = 0;
        }
        if (size == 0) head = 0; // the chunk it ended in is reused from its start
    }

    /** What {@link #retainIf} keeps. */
    interface Keep {
        boolean test(int id, long time);
    }

    /** Drops the entries {@code keep} refuses, in one pass and in place, keeping the order of the others; gives back the chunks emptied. */
    void retainIf(Keep keep) {
        long[] oldTimes = runTimes, oldEnds = runEnds;
        int r = firstRun;
        runTimes = new long[Math.max(8, runs)];
        runEnds = new long[runTimes.length];
        firstRun = 0;
        runs = 0;
        descents = 0;
        int kept = 0;
        for (int i = 0; i < size; i++) {
            while (oldEnds[r] <= headPos + i) r++; // the run entry i is in (the entries are read in order)
            int id = id(i);
            long t = oldTimes[r];
            if (!keep.test(id, t)) continue;
            int pos = head + kept++; // never ahead of i: written over what was read
            ids[chunk(pos)][pos & (CHUNK - 1)] = id;
            addToRuns(t, headPos + kept);
        }
        size = kept;
        if (size == 0) head = 0;
        int needed = size == 0 ? Math.min(chunks, 1) : ((head + size - 1) >>> CHUNK_BITS) + 1;
        while (chunks > needed) {
            ids[chunk((chunks - 1) << CHUNK_BITS)] = null;
            chunks--;
        }
    }

    /** How many entries the chunks have room for (what they cost: 4 bytes each, besides the runs). */
    int capacity() {
        return chunks * CHUNK;
    }

    /**
     * Whether every entry's time is at least the one before it. Times only go forward while one clock adds them; a
     * clock that goes back (a new coordinator's, behind its predecessor's) adds entries earlier than those before them,
     * and the queue is out of order until the entries the clock ahead added have all left.
     */
    boolean inTimeOrder() {
        return descents == 0;
    }

    /** The index, from the head, of the first entry after the run of equal times that entry {@code i} is in ({@code 0 <= i < size()}). */
    int runEnd(int i) {
        return (int) (runEnds[runOf(headPos + i)] - headPos);
    }

    /** How many runs of equal times the entries form (16 bytes each): for tests. */
    int runs() {
        return runs;
    }

    /** The entry ending before position {@code end} has {@code time}: it extends the last run, or starts one. */
    private void addToRuns(long time, long end) {
        if (runs > 0 && runTimes[firstRun + runs - 1] == time) {
            runEnds[firstRun + runs - 1] = end;
            return;
        }
        if (firstRun + runs == runTimes.length) {
            if (firstRun > runTimes.length / 2) { // mostly removed from the head: move the runs down
                System.arraycopy(runTimes, firstRun, runTimes, 0, runs);
                System.arraycopy(runEnds, firstRun, runEnds, 0, runs);
                firstRun = 0;
            } else {
                runTimes = Arrays.copyOf(runTimes, runTimes.length * 2);
                runEnds = Arrays.copyOf(runEnds, runEnds.length * 2);
            }
        }
        if (runs > 0 && runTimes[firstRun + runs - 1] > time) descents++;
        runTimes[firstRun + runs] = time;
        runEnds[firstRun + runs] = end;
        runs++;
    }

    /** The run holding the entry at position {@code pos}: the first whose end is after it. */
    private int runOf(long pos) {
        int lo = firstRun, hi = firstRun + runs - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (runEnds[mid] > pos) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /** The ring slot of the chunk holding position {@code pos} (counted from the first chunk's start). */
    private int chunk(int pos) {
        return (first + (pos >>> CHUNK_BITS)) & (ids.length - 1);
    }

    private void addChunk() {
        if (chunks == ids.length) { // the ring of chunk references is full: double it, in order from the first
            int[][] ni = new int[ids.length * 2][];
            for (int c = 0; c < chunks; c++) ni[c] = ids[(first + c) & (ids.length - 1)];
            ids = ni;
            first = 0;
        }
        ids[(first + chunks) & (ids.length - 1)] = new int[CHUNK];
        chunks++;
    }

    private void dropFirstChunk() {
        ids[first] = null;
        first = (first + 1) & (ids.length - 1);
        chunks--;
    }
}
