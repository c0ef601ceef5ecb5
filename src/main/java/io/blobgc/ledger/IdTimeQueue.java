package io.blobgc.ledger;

/**
 * A FIFO of (blob id, time) pairs, 12 bytes an entry, in chunks of {@value #CHUNK} entries (48 KiB): it grows by a
 * chunk and gives back emptied ones, so a queue of millions is never one huge array, never copied whole to grow, and
 * never needs twice its size while it does (issue 24: ten million blobs in a 1 GiB heap).
 */
final class IdTimeQueue {
    static final int CHUNK = 1 << 12;
    private static final int CHUNK_BITS = 12;
    /** A ring of chunks: the head entry is in chunk {@code first}, at {@code head}. */
    private int[][] ids = new int[4][];
    private long[][] times = new long[4][];
    private int first;
    private int chunks;
    private int head;
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void addLast(int id, long time) {
        int pos = head + size;
        if (pos >>> CHUNK_BITS == chunks) addChunk();
        int c = chunk(pos);
        ids[c][pos & (CHUNK - 1)] = id;
        times[c][pos & (CHUNK - 1)] = time;
        size++;
    }

    /** The i-th entry from the head. */
    int id(int i) {
        int pos = head + i;
        return ids[chunk(pos)][pos & (CHUNK - 1)];
    }

    long time(int i) {
        int pos = head + i;
        return times[chunk(pos)][pos & (CHUNK - 1)];
    }

    void removeFirst() {
        head++;
        size--;
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
        int kept = 0;
        for (int i = 0; i < size; i++) {
            int id = id(i);
            long t = time(i);
            if (!keep.test(id, t)) continue;
            int pos = head + kept++; // never ahead of i: written over what was read
            ids[chunk(pos)][pos & (CHUNK - 1)] = id;
            times[chunk(pos)][pos & (CHUNK - 1)] = t;
        }
        size = kept;
        if (size == 0) head = 0;
        int needed = size == 0 ? Math.min(chunks, 1) : ((head + size - 1) >>> CHUNK_BITS) + 1;
        while (chunks > needed) {
            int last = chunk((chunks - 1) << CHUNK_BITS);
            ids[last] = null;
            times[last] = null;
            chunks--;
        }
    }

    /** How many entries the chunks have room for (what they cost: 12 bytes each). */
    int capacity() {
        return chunks * CHUNK;
    }

    /** The ring slot of the chunk holding position {@code pos} (counted from the first chunk's start). */
    private int chunk(int pos) {
        return (first + (pos >>> CHUNK_BITS)) & (ids.length - 1);
    }

    private void addChunk() {
        if (chunks == ids.length) { // the ring of chunk references is full: double it, in order from the first
            int[][] ni = new int[ids.length * 2][];
            long[][] nt = new long[ids.length * 2][];
            for (int c = 0; c < chunks; c++) {
                ni[c] = ids[(first + c) & (ids.length - 1)];
                nt[c] = times[(first + c) & (ids.length - 1)];
            }
            ids = ni;
            times = nt;
            first = 0;
        }
        int c = (first + chunks) & (ids.length - 1);
        ids[c] = new int[CHUNK];
        times[c] = new long[CHUNK];
        chunks++;
    }

    private void dropFirstChunk() {
        ids[first] = null;
        times[first] = null;
        first = (first + 1) & (ids.length - 1);
        chunks--;
    }
}
