package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.Arrays;
import java.util.List;

/**
 * The known blobs, compact: long arrays holding, per id, the hash as four longs and a packed meta word (40 bytes), in
 * pages of {@value #PAGE_ROWS} rows (320 KiB: below G1's humongous size for heaps of 1 GiB and more, and a table grows
 * by a page, never by copying itself), and an open-addressing index from hash to id (load up to 0.8, any capacity)
 * with a tag of each hash beside it (8 other bits of the hash: a probe reads a row only when its tag matches, 1 in 256
 * for a row that is not the one). About 46 bytes a blob, and no object per blob. Ids are stable while the blob is
 * known; a freed id is reused.
 *
 * <p>meta: bits 0-2 status (0 free, else {@link BlobStatus} ordinal + 1), bits 3-7 flags (see {@code FLAG_…}),
 * bits 8-31 reference count, bits 32-63 the reference of the blob's (cycle, time) pair in {@link Stamps}: the cycle
 * of its last status decision (unreferenced or marked) and its time (unreferenced since, or collected at). A row
 * held the pair itself until issue 24 (48 bytes); the blobs share a few hundred pairs, so 4 bytes name it.
 */
final class BlobTable {

    private static final BlobStatus[] STATUSES = BlobStatus.values();
    /** A node pin or an operator pin holds the blob. */
    static final int FLAG_PINNED = 1 << 3;
    /** The blob has dependencies (callees). */
    static final int FLAG_HAS_DEPS = 1 << 4;
    /** Known blobs depend on this one. */
    static final int FLAG_HAS_DEPENDENTS = 1 << 5;

    private static final int STRIDE = 5;
    private static final int META = 4;

    /** {@link #findAll} settles this many hashes at a time: their home slots' lines stay in the L1 cache between passes. */
    private static final int FIND_BLOCK = 128;
    /** In {@link #findAll}'s first pass: the home slot is taken by another hash's id, the probe goes on from there. */
    private static final int PROBE_ON = -2;

    /** Rows per page; a row's page is {@code id >>> PAGE_BITS}. */
    static final int PAGE_ROWS = 8192;
    private static final int PAGE_BITS = 13;
    private long[][] pages;
    private int[] index; // id + 1, 0 for empty
    private byte[] tags; // beside index: the tag of the hash whose id is there
    private int highWater;
    private int size;
    private int[] free = new int[16];
    private int freeCount;
    /** The rows' (cycle, time) pairs: a row holds its pair's reference in meta's high half. */
    private final Stamps stamps = new Stamps();

    BlobTable(int expected) {
        int n = Math.max(16, expected);
        pages = new long[Math.max(1, (n + PAGE_ROWS - 1) >>> PAGE_BITS)][];
        index = new int[indexCapacity(n)];
        tags = new byte[index.length];
    }

    private static int indexCapacity(int n) {
        return (int) Math.min(Integer.MAX_VALUE - 8, n * 5L / 4 + 16); // load <= 0.8
    }

    int size() {
        return size;
    }

    /** Ids are below this; iterate and skip {@link #isFree}. */
    int highWater() {
        return highWater;
    }

    boolean isFree(int id) {
        return (page(id)[row(id) + META] & 7) == 0;
    }

    /**
     * The home slot: the low half of the hash's first long scaled to the capacity (SHA-256 bits are uniform). Not its
     * high bits: those choose the partition ({@link Partitioning}), so every hash of a partition shares them, and a
     * partition's table homed on them piled all its blobs into a share of its slots (full at P = 2: a probe never ended).
     */
    private int home(long w0) {
        return (int) (((w0 & 0xFFFF_FFFFL) * index.length) >>> 32);
    }

    /** The longest distance of an id from its home slot: how long the longest probe is (for tests). */
    int maxDisplacement() {
        int n = index.length, max = 0;
        for (int i = 0; i < n; i++) {
            if (index[i] != 0) max = Math.max(max, Math.floorMod(i - home(page(index[i] - 1)[row(index[i] - 1)]), n));
        }
        return max;
    }

    /** 8 bits of the hash that {@link #home} does not use. */
    private static byte tag(long w1) {
        return (byte) (w1 >>> 56);
    }

    private int nextSlot(int i) {
        return ++i == index.length ? 0 : i;
    }

    int find(BlobHash h) {
        return find(h.w0(), h.w1(), h.w2(), h.w3());
    }

    int find(long w0, long w1, long w2, long w3) {
        return probe(home(w0), w0, w1, w2, w3);
    }

    /** The id of a hash, looked for from slot {@code i} of its probe on (its home slot: the whole probe), or -1. */
    private int probe(int i, long w0, long w1, long w2, long w3) {
        byte t = tag(w1);
        for (; ; i = nextSlot(i)) {
            int e = index[i];
            if (e == 0) return -1;
            if (tags[i] != t) continue; // not this hash: its row is not read
            if (isRowOf(e - 1, w0, w1, w2, w3)) return e - 1;
        }
    }

    private boolean isRowOf(int id, long w0, long w1, long w2, long w3) {
        long[] p = page(id);
        int k = row(id);
        return p[k] == w0 && p[k + 1] == w1 && p[k + 2] == w2 && p[k + 3] == w3;
    }

    /**
     * {@link #find} of each hash into {@code out} (same order, -1 for an unknown one), in passes, so that the lookups'
     * cache misses overlap instead of following one another (issue 24: a report's ingest was mostly {@code find}, each
     * probe waiting for a miss on the index, then on the row). The first pass reads every home slot: no load there
     * depends on another, so the CPU has many in flight. Most hashes are settled by it: an empty home slot means
     * unknown, a matching tag names the one candidate row. The second pass probes on in the index alone for those whose
     * home slot holds another hash (its lines were just read): the first empty slot or matching tag. The third checks
     * the candidate rows, all of them independent loads (a row is read only here, never waited for one after another);
     * a row of another hash (its tag matched by chance) falls back to the whole probe.
     */
    void findAll(List<BlobHash> hashes, int[] out) {
        int n = hashes.size();
        for (int from = 0; from < n; from += FIND_BLOCK) {
            int to = Math.min(n, from + FIND_BLOCK);
            for (int j = from; j < to; j++) {
                BlobHash h = hashes.get(j);
                int i = home(h.w0());
                int e = index[i];
                out[j] = e == 0 ? -1 : tags[i] == tag(h.w1()) ? e - 1 : PROBE_ON;
            }
            for (int j = from; j < to; j++) {
                if (out[j] != PROBE_ON) continue;
                // the home slot held another hash: the candidate is further on, in the index alone (lines just read)
                long w1 = hashes.get(j).w1();
                byte t = tag(w1);
                for (int i = nextSlot(home(hashes.get(j).w0())); ; i = nextSlot(i)) {
                    int e = index[i];
                    if (e == 0) {
                        out[j] = -1;
                        break;
                    }
                    if (tags[i] == t) {
                        out[j] = e - 1;
                        break;
                    }
                }
            }
            for (int j = from; j < to; j++) {
                int id = out[j];
                if (id < 0) continue;
                BlobHash h = hashes.get(j);
                if (isRowOf(id, h.w0(), h.w1(), h.w2(), h.w3())) continue;
                // another hash with the same tag (1 in 256): the whole probe
                out[j] = probe(home(h.w0()), h.w0(), h.w1(), h.w2(), h.w3());
            }
        }
    }

    /** Adds a hash that is not in the table; returns its id, with status ACTIVE and no references. */
    int add(BlobHash h) {
        int id;
        if (freeCount > 0) {
            id = free[--freeCount];
        } else {
            id = highWater++;
            if ((id & (PAGE_ROWS - 1)) == 0) addPage(id >>> PAGE_BITS);
        }
        long[] p = page(id);
        int k = row(id);
        p[k] = h.w0();
        p[k + 1] = h.w1();
        p[k + 2] = h.w2();
        p[k + 3] = h.w3();
        p[k + META] = BlobStatus.ACTIVE.ordinal() + 1; // stamp 0: cycle 0, time 0
        size++;
        if (size * 5L > index.length * 4L) growIndex(); // re-inserts every live id, this one included
        else insertIndex(id);
        return id;
    }

    void remove(int id) {
        int n = index.length;
        int i = home(page(id)[row(id)]);
        while (index[i] != id + 1) i = nextSlot(i);
        index[i] = 0;
        // backward shift: pull later members of the cluster into the hole where their probe allows
        for (int j = nextSlot(i); index[j] != 0; j = nextSlot(j)) {
            int h = home(page(index[j] - 1)[row(index[j] - 1)]);
            if (Math.floorMod(j - h, n) >= Math.floorMod(j - i, n)) {
                index[i] = index[j];
                tags[i] = tags[j];
                index[j] = 0;
                i = j;
            }
        }
        stamps.release(stamp(id));
        page(id)[row(id) + META] = 0;
        if (freeCount == free.length) free = Arrays.copyOf(free, free.length * 2);
        free[freeCount++] = id;
        size--;
    }

    BlobHash hash(int id) {
        long[] p = page(id);
        int k = row(id);
        return new BlobHash(p[k], p[k + 1], p[k + 2], p[k + 3]);
    }

    BlobStatus status(int id) {
        int s = (int) (page(id)[row(id) + META] & 7);
        return s == 0 ? null : STATUSES[s - 1];
    }

    void status(int id, BlobStatus s) {
        long[] p = page(id);
        int k = row(id) + META;
        p[k] = (p[k] & ~7L) | (s.ordinal() + 1);
    }

    boolean flag(int id, int flag) {
        return (page(id)[row(id) + META] & flag) != 0;
    }

    void flag(int id, int flag, boolean on) {
        long[] p = page(id);
        int k = row(id) + META;
        p[k] = on ? p[k] | flag : p[k] & ~flag;
    }

    /** Held directly: referenced by a node view, or pinned (by a node or an operator). */
    boolean held(int id) {
        return refs(id) > 0 || flag(id, FLAG_PINNED);
    }

    int refs(int id) {
        return (int) ((page(id)[row(id) + META] >>> 8) & 0xFFFFFF);
    }

    void addRefs(int id, int delta) {
        long[] p = page(id);
        int k = row(id) + META;
        int r = (int) ((p[k] >>> 8) & 0xFFFFFF) + delta;
        if (r < 0 || r > 0xFFFFFF) throw new IllegalStateException("reference count out of range: " + r);
        p[k] = (p[k] & ~(0xFFFFFFL << 8)) | ((long) r << 8);
    }

    /** The cycle of the blob's last status decision, as 32 unsigned bits (what a snapshot keeps of it). */
    long cycle(int id) {
        return stamps.cycle(stamp(id));
    }

    void cycle(int id, long cycle) {
        stamp(id, cycle & 0xFFFF_FFFFL, time(id));
    }

    long time(int id) {
        return stamps.time(stamp(id));
    }

    void time(int id, long t) {
        stamp(id, cycle(id), t);
    }

    /** Sets both at once: one pair acquired, not a passing one (the new time with the old cycle) stored and freed. */
    void cycleAndTime(int id, long cycle, long t) {
        stamp(id, cycle & 0xFFFF_FFFFL, t);
    }

    /** How many distinct (cycle, time) pairs the blobs have (for tests: what {@link Stamps} holds). */
    int stamps() {
        return stamps.size();
    }

    /** The reference of the blob's (cycle, time) pair. */
    private int stamp(int id) {
        return (int) (page(id)[row(id) + META] >>> 32);
    }

    /** Gives the blob the pair (cycle, time), letting go of the one it had. */
    private void stamp(int id, long cycle, long time) {
        long[] p = page(id);
        int k = row(id) + META;
        int old = (int) (p[k] >>> 32);
        int ref = stamps.acquire(cycle, time); // before the release: the same pair is not freed and stored again
        stamps.release(old);
        p[k] = (p[k] & 0xFFFF_FFFFL) | ((long) ref << 32);
    }

    private void insertIndex(int id) {
        int i = home(page(id)[row(id)]);
        while (index[i] != 0) i = nextSlot(i);
        index[i] = id + 1;
        tags[i] = tag(page(id)[row(id) + 1]);
    }

    private long[] page(int id) {
        return pages[id >>> PAGE_BITS];
    }

    private static int row(int id) {
        return (id & (PAGE_ROWS - 1)) * STRIDE;
    }

    private void addPage(int n) {
        if (n == pages.length) pages = Arrays.copyOf(pages, pages.length * 2);
        if (pages[n] == null) pages[n] = new long[PAGE_ROWS * STRIDE];
    }

    private void growIndex() {
        index = new int[indexCapacity(size * 2)];
        tags = new byte[index.length];
        for (int id = 0; id < highWater; id++) if (!isFree(id)) insertIndex(id);
    }
}
