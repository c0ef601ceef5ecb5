package io.blobgc.ledger;

import java.util.Arrays;

/**
 * The (cycle, time) pairs of a {@link BlobTable}'s blobs, each stored once and shared by every blob that has it, so
 * that a row holds a 32-bit reference to its pair instead of the pair itself (issue 24: the row went from 48 to 40
 * bytes). The pairs are few: a blob's cycle and time are written by the cycle that decided it (all the blobs it
 * decided get that cycle's number and time), by a sweeper's batch (one time for the batch) or by a snapshot (which
 * wrote them so), so a million blobs share a few hundred pairs. Counted: a pair that no blob has any more is freed
 * and its reference reused. Reference 0 is (0, 0), a new blob's pair, never counted nor freed.
 */
final class Stamps {

    private static final int NONE = 0;
    private long[] cycles = new long[16];
    private long[] times = new long[16];
    /** How many blobs have each pair (not kept for reference 0). */
    private int[] users = new int[16];
    private int highWater = 1;
    private int[] free = new int[16];
    private int freeCount;
    /** Open addressing from a pair to its reference + 1 (0 for empty), load up to 0.5. */
    private int[] index = new int[32];
    private int size;

    long cycle(int ref) {
        return cycles[ref];
    }

    long time(int ref) {
        return times[ref];
    }

    /** How many pairs are stored besides (0, 0) (for tests). */
    int size() {
        return size;
    }

    /** The reference of (cycle, time), now counted as used by one more blob. */
    int acquire(long cycle, long time) {
        if (cycle == 0 && time == 0) return NONE;
        int mask = index.length - 1;
        for (int i = slot(cycle, time, mask); ; i = (i + 1) & mask) {
            int e = index[i];
            if (e == 0) break;
            if (cycles[e - 1] == cycle && times[e - 1] == time) {
                users[e - 1]++;
                return e - 1;
            }
        }
        int ref = freeCount > 0 ? free[--freeCount] : newRef();
        cycles[ref] = cycle;
        times[ref] = time;
        users[ref] = 1;
        size++;
        if (size * 2 > index.length) growIndex();
        else insert(ref);
        return ref;
    }

    /** One blob less has the pair {@code ref}: freed when none has it. */
    void release(int ref) {
        if (ref == NONE || --users[ref] > 0) return;
        removeFromIndex(ref);
        if (freeCount == free.length) free = Arrays.copyOf(free, free.length * 2);
        free[freeCount++] = ref;
        size--;
    }

    private int newRef() {
        if (highWater == cycles.length) {
            cycles = Arrays.copyOf(cycles, cycles.length * 2);
            times = Arrays.copyOf(times, times.length * 2);
            users = Arrays.copyOf(users, users.length * 2);
        }
        return highWater++;
    }

    /** MurmurHash3's 64-bit finalizer of the pair: every bit of both reaches every slot bit. */
    private static int slot(long cycle, long time, int mask) {
        long h = time ^ (cycle * 0x9E3779B97F4A7C15L);
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int) h & mask;
    }

    private void insert(int ref) {
        int mask = index.length - 1;
        int i = slot(cycles[ref], times[ref], mask);
        while (index[i] != 0) i = (i + 1) & mask;
        index[i] = ref + 1;
    }

    private void removeFromIndex(int ref) {
        int mask = index.length - 1;
        int i = slot(cycles[ref], times[ref], mask);
        while (index[i] != ref + 1) i = (i + 1) & mask;
        index[i] = 0;
        // backward shift: pull later members of the cluster into the hole where their probe allows
        for (int j = (i + 1) & mask; index[j] != 0; j = (j + 1) & mask) {
            int r = index[j] - 1;
            int home = slot(cycles[r], times[r], mask);
            if (((j - home) & mask) >= ((j - i) & mask)) {
                index[i] = index[j];
                index[j] = 0;
                i = j;
            }
        }
    }

    private void growIndex() {
        index = new int[index.length * 2];
        for (int r = 1; r < highWater; r++) if (users[r] > 0) insert(r);
    }
}
