package io.blobgc.ledger;

import java.util.Arrays;
import java.util.function.IntConsumer;

/** An open-addressing set of non-negative ints (linear probing, backward-shift deletion): 4 bytes a slot. */
public final class IntSet {
    private static final int EMPTY = -1;
    private int[] table;
    private int size;

    public IntSet() {
        this(8);
    }

    public IntSet(int expected) {
        table = new int[capacityFor(expected)];
        Arrays.fill(table, EMPTY);
    }

    private static int capacityFor(int expected) {
        int cap = 8;
        while (cap * 3 < expected * 4) cap <<= 1; // load <= 0.75
        return cap;
    }

    private static int slot(int v, int mask) {
        int h = v * 0x9E3779B9;
        return (h ^ (h >>> 16)) & mask;
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

    void forEach(IntConsumer each) {
        for (int t : table) if (t != EMPTY) each.accept(t);
    }

    public int[] toArray() {
        int[] out = new int[size];
        int k = 0;
        for (int t : table) if (t != EMPTY) out[k++] = t;
        return out;
    }

    private void grow() {
        int[] old = table;
        table = new int[old.length * 2];
        Arrays.fill(table, EMPTY);
        size = 0;
        for (int t : old) if (t != EMPTY) add(t);
    }
}
