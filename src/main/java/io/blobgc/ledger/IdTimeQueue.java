package io.blobgc.ledger;

/** A FIFO of (blob id, time) pairs in two primitive ring buffers: 12 bytes an entry. */
final class IdTimeQueue {
    private int[] ids = new int[16];
    private long[] times = new long[16];
    private int head;
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    void addLast(int id, long time) {
        if (size == ids.length) grow();
        int i = (head + size) % ids.length;
        ids[i] = id;
        times[i] = time;
        size++;
    }

    /** The i-th entry from the head. */
    int id(int i) {
        return ids[(head + i) % ids.length];
    }

    long time(int i) {
        return times[(head + i) % times.length];
    }

    void removeFirst() {
        head = (head + 1) % ids.length;
        size--;
    }

    /** What {@link #retainIf} keeps. */
    interface Keep {
        boolean test(int id, long time);
    }

    /** Drops the entries {@code keep} refuses, in one pass, keeping the order of the others; shrinks the buffers to fit. */
    void retainIf(Keep keep) {
        int kept = 0;
        for (int i = 0; i < size; i++) if (keep.test(id(i), time(i))) kept++;
        int capacity = Math.max(16, Integer.highestOneBit(Math.max(1, kept)) << 1);
        int[] ni = new int[capacity];
        long[] nt = new long[capacity];
        int n = 0;
        for (int i = 0; i < size; i++) {
            int id = id(i);
            long t = time(i);
            if (keep.test(id, t)) {
                ni[n] = id;
                nt[n++] = t;
            }
        }
        ids = ni;
        times = nt;
        head = 0;
        size = n;
    }

    /** How many entries the buffers have room for (what they cost: 12 bytes each). */
    int capacity() {
        return ids.length;
    }

    private void grow() {
        int[] ni = new int[ids.length * 2];
        long[] nt = new long[ids.length * 2];
        for (int i = 0; i < size; i++) {
            ni[i] = id(i);
            nt[i] = time(i);
        }
        ids = ni;
        times = nt;
        head = 0;
    }
}
