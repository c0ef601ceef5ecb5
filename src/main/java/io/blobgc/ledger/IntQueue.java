package io.blobgc.ledger;

/** A FIFO of ints in one primitive ring buffer (4 bytes an entry), readable at any position from the head. */
final class IntQueue {
    private int[] items = new int[16];
    private int head;
    private int size;

    int size() {
        return size;
    }

    void addLast(int v) {
        if (size == items.length) grow();
        items[(head + size) & (items.length - 1)] = v;
        size++;
    }

    /** The i-th entry from the head. */
    int get(int i) {
        return items[(head + i) & (items.length - 1)];
    }

    /** Drops the first {@code n} entries. */
    void removeFirst(int n) {
        if (n < 0 || n > size) throw new IllegalArgumentException("remove " + n + " of " + size);
        head = (head + n) & (items.length - 1);
        size -= n;
        if (size == 0) head = 0;
    }

    /** Gives back the room a burst grew: a buffer at under a quarter of its capacity shrinks to fit (twice). */
    void trim() {
        if (items.length <= 1024 || size * 4 >= items.length) return;
        int[] next = new int[Math.max(16, Integer.highestOneBit(Math.max(1, size)) << 1)];
        for (int i = 0; i < size; i++) next[i] = get(i);
        items = next;
        head = 0;
    }

    /** Empties the queue; a buffer a burst grew is given back. */
    void clear() {
        if (items.length > 1024) items = new int[16];
        head = 0;
        size = 0;
    }

    private void grow() {
        int[] next = new int[items.length * 2];
        for (int i = 0; i < size; i++) next[i] = get(i);
        items = next;
        head = 0;
    }
}
