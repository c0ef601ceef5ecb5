package io.blobgc.ledger;

import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome.MarkedBlob;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The registry's history of cycles, oldest first, with the blobs of each entry packed into long arrays: an entry keeps
 * up to {@link HistoryEntry#MARKED_KEPT} marked blobs, and as objects (a {@link MarkedBlob}, its {@link BlobHash}, a
 * list slot) each cost 76 bytes — a hundred entries of a thousand were 8 MB, 8 bytes per blob of the benchmark's
 * million (issue 24); packed, 40. Entries go in and come out as {@link HistoryEntry}s, equal to what went in (a null
 * list stays null: entries of old snapshots).
 */
final class History {

    private final ArrayDeque<Packed> entries = new ArrayDeque<>();

    /** An entry without its lists of blobs ({@code shell}), and those lists packed (null for a null list). */
    private record Packed(HistoryEntry shell, long[] rescued, long[] marked) {
    }

    int size() {
        return entries.size();
    }

    void addLast(HistoryEntry e) {
        HistoryEntry shell = new HistoryEntry(e.cycle(), e.at(), e.dryRun(), e.frozen(), e.warmingUp(),
                e.newlyUnreferenced(), e.rescuedCount(), null, null, e.confirmedBy(), e.staleNodes(),
                e.prunedTombstones(), e.markedCount());
        entries.addLast(new Packed(shell, packHashes(e.rescued()), packMarked(e.marked())));
    }

    void addAll(Collection<HistoryEntry> es) {
        for (HistoryEntry e : es) addLast(e);
    }

    void removeFirst() {
        entries.removeFirst();
    }

    /** The entries, newest first, at most {@code limit}. */
    List<HistoryEntry> newest(int limit) {
        List<HistoryEntry> out = new ArrayList<>();
        var it = entries.descendingIterator();
        while (it.hasNext() && out.size() < limit) out.add(unpack(it.next()));
        return out;
    }

    /** Every entry, oldest first. */
    List<HistoryEntry> all() {
        List<HistoryEntry> out = new ArrayList<>(entries.size());
        for (Packed p : entries) out.add(unpack(p));
        return List.copyOf(out);
    }

    private static HistoryEntry unpack(Packed p) {
        HistoryEntry s = p.shell();
        return new HistoryEntry(s.cycle(), s.at(), s.dryRun(), s.frozen(), s.warmingUp(), s.newlyUnreferenced(),
                s.rescuedCount(), unpackHashes(p.rescued()), unpackMarked(p.marked()), s.confirmedBy(),
                s.staleNodes(), s.prunedTombstones(), s.markedCount());
    }

    private static long[] packHashes(List<BlobHash> hashes) {
        if (hashes == null) return null;
        long[] out = new long[hashes.size() * 4];
        for (int i = 0; i < hashes.size(); i++) put(out, i * 4, hashes.get(i));
        return out;
    }

    private static List<BlobHash> unpackHashes(long[] packed) {
        if (packed == null) return null;
        List<BlobHash> out = new ArrayList<>(packed.length / 4);
        for (int k = 0; k < packed.length; k += 4) out.add(hashAt(packed, k));
        return out;
    }

    private static long[] packMarked(List<MarkedBlob> marked) {
        if (marked == null) return null;
        long[] out = new long[marked.size() * 5];
        for (int i = 0; i < marked.size(); i++) {
            put(out, i * 5, marked.get(i).hash());
            out[i * 5 + 4] = marked.get(i).unreferencedSince();
        }
        return out;
    }

    private static List<MarkedBlob> unpackMarked(long[] packed) {
        if (packed == null) return null;
        List<MarkedBlob> out = new ArrayList<>(packed.length / 5);
        for (int k = 0; k < packed.length; k += 5) out.add(new MarkedBlob(hashAt(packed, k), packed[k + 4]));
        return out;
    }

    private static void put(long[] out, int k, BlobHash h) {
        out[k] = h.w0();
        out[k + 1] = h.w1();
        out[k + 2] = h.w2();
        out[k + 3] = h.w3();
    }

    private static BlobHash hashAt(long[] packed, int k) {
        return new BlobHash(packed[k], packed[k + 1], packed[k + 2], packed[k + 3]);
    }
}
