package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.Arrays;

/**
 * The known blobs, compact: dense primitive arrays by id (the hash as four longs, a packed meta word, a time) and an
 * open-addressing index from hash to id. About 50 bytes a blob, and no object per blob. Ids are stable while the blob
 * is known; a freed id is reused.
 *
 * <p>meta: bits 0-2 status (0 free, else {@link BlobStatus} ordinal + 1), bits 3-7 flags (see {@code FLAG_…}),
 * bits 8-31 reference count, bits 32-63 the cycle of the last status decision (unreferenced or marked).
 */
final class BlobTable {

    private static final BlobStatus[] STATUSES = BlobStatus.values();
    /** A node pin or an operator pin holds the blob. */
    static final int FLAG_PINNED = 1 << 3;
    /** The blob has dependencies (callees). */
    static final int FLAG_HAS_DEPS = 1 << 4;
    /** Known blobs depend on this one. */
    static final int FLAG_HAS_DEPENDENTS = 1 << 5;

    private long[] keys;
    private long[] meta;
    private long[] times;
    private int[] index; // id + 1, 0 for empty
    private int highWater;
    private int size;
    private int[] free = new int[16];
    private int freeCount;

    BlobTable(int expected) {
        int n = Math.max(16, expected);
        keys = new long[4 * n];
        meta = new long[n];
        times = new long[n];
        index = new int[indexCapacity(n)];
    }

    private static int indexCapacity(int n) {
        int cap = 16;
        while (cap * 4L < n * 5L) cap <<= 1; // load <= 0.8
        return cap;
    }

    int size() {
        return size;
    }

    /** Ids are below this; iterate and skip {@link #isFree}. */
    int highWater() {
        return highWater;
    }

    boolean isFree(int id) {
        return (meta[id] & 7) == 0;
    }

    private static int slot(long w0, long w1, int mask) {
        long h = w0 ^ (w1 >>> 7);
        return (int) (h ^ (h >>> 32)) & mask;
    }

    int find(BlobHash h) {
        return find(h.w0(), h.w1(), h.w2(), h.w3());
    }

    int find(long w0, long w1, long w2, long w3) {
        int mask = index.length - 1;
        for (int i = slot(w0, w1, mask); ; i = (i + 1) & mask) {
            int e = index[i];
            if (e == 0) return -1;
            int id = e - 1;
            int k = id << 2;
            if (keys[k] == w0 && keys[k + 1] == w1 && keys[k + 2] == w2 && keys[k + 3] == w3) return id;
        }
    }

    /** Adds a hash that is not in the table; returns its id, with status ACTIVE and no references. */
    int add(BlobHash h) {
        int id;
        if (freeCount > 0) {
            id = free[--freeCount];
        } else {
            if (highWater == meta.length) growStorage();
            id = highWater++;
        }
        int k = id << 2;
        keys[k] = h.w0();
        keys[k + 1] = h.w1();
        keys[k + 2] = h.w2();
        keys[k + 3] = h.w3();
        meta[id] = BlobStatus.ACTIVE.ordinal() + 1;
        times[id] = 0;
        size++;
        if (size * 5L > index.length * 4L) growIndex();
        insertIndex(id);
        return id;
    }

    void remove(int id) {
        int k = id << 2;
        int mask = index.length - 1;
        int i = slot(keys[k], keys[k + 1], mask);
        while (index[i] != id + 1) i = (i + 1) & mask;
        index[i] = 0;
        for (int j = (i + 1) & mask; index[j] != 0; j = (j + 1) & mask) {
            int other = index[j] - 1;
            int home = slot(keys[other << 2], keys[(other << 2) + 1], mask);
            if (((j - home) & mask) >= ((j - i) & mask)) {
                index[i] = index[j];
                index[j] = 0;
                i = j;
            }
        }
        meta[id] = 0;
        if (freeCount == free.length) free = Arrays.copyOf(free, free.length * 2);
        free[freeCount++] = id;
        size--;
    }

    BlobHash hash(int id) {
        int k = id << 2;
        return new BlobHash(keys[k], keys[k + 1], keys[k + 2], keys[k + 3]);
    }

    BlobStatus status(int id) {
        int s = (int) (meta[id] & 7);
        return s == 0 ? null : STATUSES[s - 1];
    }

    void status(int id, BlobStatus s) {
        meta[id] = (meta[id] & ~7L) | (s.ordinal() + 1);
    }

    boolean flag(int id, int flag) {
        return (meta[id] & flag) != 0;
    }

    void flag(int id, int flag, boolean on) {
        meta[id] = on ? meta[id] | flag : meta[id] & ~flag;
    }

    int refs(int id) {
        return (int) ((meta[id] >>> 8) & 0xFFFFFF);
    }

    void addRefs(int id, int delta) {
        int r = refs(id) + delta;
        if (r < 0 || r > 0xFFFFFF) throw new IllegalStateException("reference count out of range: " + r);
        meta[id] = (meta[id] & ~(0xFFFFFFL << 8)) | ((long) r << 8);
    }

    long cycle(int id) {
        return meta[id] >>> 32;
    }

    void cycle(int id, long cycle) {
        meta[id] = (meta[id] & 0xFFFFFFFFL) | (cycle << 32);
    }

    long time(int id) {
        return times[id];
    }

    void time(int id, long t) {
        times[id] = t;
    }

    private void insertIndex(int id) {
        int k = id << 2;
        int mask = index.length - 1;
        int i = slot(keys[k], keys[k + 1], mask);
        while (index[i] != 0) i = (i + 1) & mask;
        index[i] = id + 1;
    }

    private void growStorage() {
        int n = meta.length + (meta.length >> 1) + 16;
        keys = Arrays.copyOf(keys, 4 * n);
        meta = Arrays.copyOf(meta, n);
        times = Arrays.copyOf(times, n);
    }

    private void growIndex() {
        index = new int[index.length * 2];
        for (int id = 0; id < highWater; id++) if (!isFree(id)) insertIndex(id);
    }
}
