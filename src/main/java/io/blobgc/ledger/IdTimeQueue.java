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
