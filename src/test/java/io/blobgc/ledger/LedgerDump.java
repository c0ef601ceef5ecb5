package io.blobgc.ledger;

import io.blobgc.BlobHash;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The persistent half of a {@link Ledger} as text: what it answers about every blob ({@link Ledger#info}, less the
 * soft fields — node references and node pins), its counters, generations, orphans and history, and the few
 * persistent fields only its snapshot shows (grace reset, frozen, what each generation handed out). Two ledgers that
 * were fed the same events — live, replayed from the journal, or restored from a snapshot and the events after it —
 * give the same text. Canonical: blobs in hash order, pins by owner, dependencies by hash; the ledger's own order
 * where it means something (history newest first, condemned orphans oldest first).
 */
public final class LedgerDump {

    private LedgerDump() {
    }

    /** {@link #of(Ledger, Collection, Map)} of every partition {@code l} hosts, in turn (at P = 1, of its one ledger). */
    public static String of(PartitionedLedger l, Collection<BlobHash> hashes) {
        return of(l, hashes, Map.of());
    }

    /**
     * {@link #of(Ledger, Collection, Map)} of every partition {@code l} hosts, in turn (at P = 1, of its one ledger;
     * of one partition when {@code l} is a partition entity's, {@link PartitionedLedger#hosting}).
     */
    public static String of(PartitionedLedger l, Collection<BlobHash> hashes, Map<BlobHash, String> names) {
        if (l.partitioning().count() == 1) return of(l.partition(0), hashes, names);
        StringBuilder sb = new StringBuilder();
        for (int p : l.hostedPartitions()) sb.append("partition ").append(p).append('\n').append(of(l.partition(p), hashes, names));
        return sb.toString();
    }

    /** @param hashes the blobs to describe (unknown ones are left out; {@code knownBlobs} counts every known one) */
    public static String of(Ledger l, Collection<BlobHash> hashes) {
        return of(l, hashes, Map.of());
    }

    /** {@link #of(Ledger, Collection)}, each blob's line followed by its name in {@code names}, if it has one. */
    public static String of(Ledger l, Collection<BlobHash> hashes, Map<BlobHash, String> names) {
        StringBuilder sb = new StringBuilder();
        line(sb, "cycle", l.cycle());
        line(sb, "counts", l.counts());
        line(sb, "knownBlobs", l.knownBlobs());
        line(sb, "totalCollected", l.totalCollected());
        line(sb, "totalCollectedBytes", l.totalCollectedBytes());
        line(sb, "totalFailedDeletions", l.totalFailedDeletions());
        line(sb, "generation", l.generation());
        line(sb, "deletedForPredecessors", new TreeSet<>(l.deletedForPredecessors()));
        line(sb, "condemnedOrphans", l.condemnedOrphans(Integer.MAX_VALUE));
        line(sb, "orphanScanResumesAfter", l.orphanScanResumesAfter());
        line(sb, "orphansCondemned", l.orphansCondemned());
        line(sb, "orphansDeleted", l.orphansDeleted());
        LedgerSnapshot s = l.snapshot();
        line(sb, "graceResetAt", s.graceResetAt());
        line(sb, "frozen", s.frozen());
        line(sb, "writers", s.predecessors().writers().stream()
                .map(w -> w.generation() + ":" + w.instance() + "/" + w.batchDeadlineMs() + "ms").toList());
        line(sb, "handedOut", s.predecessors().handedOut().stream()
                .sorted(Comparator.comparing(LedgerSnapshot.HandedOut::hash))
                .map(e -> e.hash() + "@" + e.generation() + "," + e.before()).toList());
        line(sb, "deletedForPredecessorBy", s.predecessors().deletedForPredecessor().stream()
                .sorted(Comparator.comparing(LedgerSnapshot.HandedOut::hash))
                .map(e -> e.hash() + "@" + e.generation()).toList());
        for (BlobHash h : new TreeSet<>(hashes)) {
            l.info(h).ifPresent(i -> sb.append("blob ").append(h).append(names.containsKey(h) ? " " + names.get(h) : "")
                    .append("\n  status ").append(i.status())
                    .append("\n  unreferencedSince ").append(i.unreferencedSince())
                    .append("\n  markedCycle ").append(i.markedCycle())
                    .append("\n  collectedAt ").append(i.collectedAt())
                    .append("\n  deletionStartedAt ").append(i.deletionStartedAt())
                    .append("\n  failedDeletions ").append(i.failedDeletions())
                    .append("\n  pins ").append(i.pins().stream().sorted(Comparator.comparing(Pin::owner)).toList())
                    .append("\n  dependencies ").append(sorted(i.dependencies()))
                    .append("\n  dependents ").append(sorted(i.dependents()))
                    .append('\n'));
        }
        List<HistoryEntry> history = l.history(Integer.MAX_VALUE);
        line(sb, "history", history.size());
        for (HistoryEntry e : history) sb.append("  ").append(e).append('\n');
        return sb.toString();
    }

    private static void line(StringBuilder sb, String name, Object value) {
        sb.append(name).append(' ').append(value).append('\n');
    }

    private static List<BlobHash> sorted(List<BlobHash> hashes) {
        return hashes.stream().sorted().toList();
    }
}
