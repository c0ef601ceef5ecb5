package io.blobgc.ledger;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * An open-addressing set of non-negative ints (linear probing, backward-shift deletion): 4 bytes a slot. Each set
 * hashes with its own seed through a strong mix, so ints taken from one set in its slot order (its iteration order)
 * do not pile up in the same probe runs of another: a set fed from another's iteration would otherwise inherit its
 * clusters (issue 24: a benchmark that dropped each node's lowest-slot blobs slowed every ingest fivefold). Seeds
 * are given, not drawn, so that what iterates a set does so in the same order on every run.
 */
public final class IntSet {
    private static final int EMPTY = -1;
    private final int seed;
    private int[] table;
    private int size;
    /** What {@link #update}'s first pass read, kept so that its loads are not dropped as unused. */
    private int touched;
    /** {@link #update} reads the home slots of this many ops, then applies them: those lines stay in the L1 cache. */
    private static final int UPDATE_BLOCK = 128;

    /** A small set hashed with {@code seed}. */
    public IntSet(int seed) {
        this(8, seed);
    }

    /** A set sized for {@code expected} members, hashed with {@code seed} (give sets that feed each other different ones). */
    public IntSet(int expected, int seed) {
        this.seed = seed;
        table = new int[capacityFor(expected)];
        Arrays.fill(table, EMPTY);
    }

    private static int capacityFor(int expected) {
        int cap = 8;
        while (cap * 3 < expected * 4) cap <<= 1; // load <= 0.75
        return cap;
    }

    /** MurmurHash3's finalizer of the value and this set's seed: every input bit reaches every slot bit. */
    private int slot(int v, int mask) {
        int h = (v ^ seed) * 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        return h & mask;
    }

    /** A seed for the {@code n}th set of an owner: distinct, and far apart in every bit. */
    public static int seed(int n) {
        int h = n * 0x9E3779B9;
        return h ^ (h >>> 15);
    }

    public int size() {
        return size;
    }

    public boolean contains(int v) {
        int mask = table.length - 1;
        for (int i = slot(v, mask); ; i = (i + 1) & mask) {
            int t = table[i];
            if (t == v) return true;
            if (t == EMPTY) return false;
        }
    }

    public boolean add(int v) {
        if ((size + 1) * 4 > table.length * 3) grow();
        int mask = table.length - 1;
        for (int i = slot(v, mask); ; i = (i + 1) & mask) {
            int t = table[i];
            if (t == v) return false;
            if (t == EMPTY) {
                table[i] = v;
                size++;
                return true;
            }
        }
    }

    public boolean remove(int v) {
        int mask = table.length - 1;
        int i = slot(v, mask);
        while (table[i] != v) {
            if (table[i] == EMPTY) return false;
            i = (i + 1) & mask;
        }
        table[i] = EMPTY;
        size--;
        // backward shift: move later members of the cluster into the hole where their probe allows
        for (int j = (i + 1) & mask; table[j] != EMPTY; j = (j + 1) & mask) {
            int w = table[j];
            int home = slot(w, mask);
            if (((j - home) & mask) >= ((j - i) & mask)) {
                table[i] = w;
                table[j] = EMPTY;
                i = j;
            }
        }
        return true;
    }

    /**
     * Applies {@code ops[0..n)} in order — {@code op >= 0}: {@link #add}{@code (op)}; {@code op < 0}:
     * {@link #remove}{@code (~op)} — and tells in {@code changed[i]} whether op i changed the set: what each call
     * would answer, one after another. In blocks: first the home slot of every op of the block is read (independent
     * loads, so their cache misses overlap instead of following one another: issue 24, a node view's adds and removes
     * were two thirds of ingest), then the ops are applied one by one, their lines now cached.
     */
    void update(int[] ops, int n, boolean[] changed) {
        for (int from = 0; from < n; from += UPDATE_BLOCK) {
            int to = Math.min(n, from + UPDATE_BLOCK);
            int[] t = table;
            int mask = t.length - 1, sum = 0;
            for (int j = from; j < to; j++) {
                int op = ops[j];
                sum += t[slot(op >= 0 ? op : ~op, mask)];
            }
            touched += sum;
            for (int j = from; j < to; j++) {
                int op = ops[j];
                changed[j] = op >= 0 ? add(op) : remove(~op);
            }
        }
    }

    /**
     * Empties the set in time proportional to what it held: a table much larger than that (grown by a burst) is
     * replaced by one sized for it, so clearing a set that a burst once grew costs no more than its next use.
     */
    void clear() {
        if (size == 0) return;
        if (table.length > 64 && size * 4 < table.length) {
            table = new int[capacityFor(size)];
        }
        Arrays.fill(table, EMPTY);
        size = 0;
    }

    /**
     * Gives back the room a burst grew and removals emptied: a set at under a quarter of its slots is rehashed into one
     * sized for what it holds (so trimming after each removal round costs, summed, about what was removed).
     */
    void trim() {
        if (table.length <= 64 || size * 4 >= table.length) return;
        int[] old = table;
        table = new int[capacityFor(size)];
        Arrays.fill(table, EMPTY);
        size = 0;
        for (int t : old) if (t != EMPTY) add(t);
    }

    void forEach(IntConsumer each) {
        for (int t : table) if (t != EMPTY) each.accept(t);
    }

    public int[] toArray() {
        int[] out = new int[size];
        int k = 0;
        for (int t : table) if (t != EMPTY) out[k++] = t;
        return out;
    }

    /** How many slots the set has (what it costs: 4 bytes each). */
    int capacity() {
        return table.length;
    }

    /** The longest distance of a member from its home slot: how long the longest probe for it is. */
    int maxDisplacement() {
        int mask = table.length - 1, max = 0;
        for (int i = 0; i < table.length; i++) {
            if (table[i] != EMPTY) max = Math.max(max, (i - slot(table[i], mask)) & mask);
        }
        return max;
    }

    private void grow() {
        int[] old = table;
        table = new int[old.length * 2];
        Arrays.fill(table, EMPTY);
        size = 0;
        for (int t : old) if (t != EMPTY) add(t);
    }
}
