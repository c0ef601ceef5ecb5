package io.blobgc.bench;

import io.blobgc.BlobHash;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.Ledger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Partitioning;
import io.blobgc.ledger.Registration;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The benchmark's registry: P ledgers, each owning its share of the hashes ({@link Partitioning}), applying its
 * reports and running its cycles on a thread of a {@link SpinningCrew}, as P sharded entities would on a member's
 * dispatcher. The workload has no dependencies, so no partition protects anything in another: what this measures is
 * the engine each partition runs and how P of them share the cores. With P = 1 everything runs on the caller's thread.
 */
final class BenchLedgers implements AutoCloseable {

    private final Partitioning partitioning;
    private final Ledger[] ledgers;
    private final SpinningCrew crew;
    /** The last parallel step's time on each partition's own thread, in ms. */
    private final double[] lastMs;

    /**
     * @param settings the whole registry's: its {@code max-transitions-per-cycle} and {@code history-size} are shared
     *                 out, so that a cycle across the partitions decides no more than one ledger's would and the
     *                 partitions' histories together hold as many cycles' records as one (the history is
     *                 cluster-wide in partitions.md §4; sixteen full histories of a thousand marks a cycle each were
     *                 115 MB at P = 16)
     */
    BenchLedgers(LedgerSettings settings, int partitions, int threads, int expectedBlobs) {
        this.partitioning = Partitioning.of(partitions);
        this.ledgers = new Ledger[partitions];
        int limit = settings.maxTransitionsPerCycle();
        LedgerSettings share = (limit == Integer.MAX_VALUE ? settings
                : settings.withMaxTransitionsPerCycle(Math.max(1, limit / partitions)))
                .withHistorySize(Math.max(1, settings.historySize() / partitions));
        for (int p = 0; p < partitions; p++) ledgers[p] = new Ledger(share, expectedBlobs / partitions + 1);
        this.crew = partitions == 1 ? null : new SpinningCrew(partitions, threads);
        this.lastMs = new double[partitions];
    }

    int partitions() {
        return ledgers.length;
    }

    Ledger ledger(int p) {
        return ledgers[p];
    }

    int knownBlobs() {
        int n = 0;
        for (Ledger l : ledgers) n += l.knownBlobs();
        return n;
    }

    /** Each partition's time in the last {@link #report} or {@link #cycle}, on its own thread (ms). */
    double[] lastPartitionMs() {
        return lastMs.clone();
    }

    void register(List<Registration> batch) {
        List<List<Registration>> shares = shares();
        for (Registration r : batch) shares.get(partitioning.partitionOf(r.hash())).add(r);
        forEach(p -> ledgers[p].applyRegistered(shares.get(p)));
    }

    /**
     * A node's report split into one share per partition, each with the report's (incarnation, seq): the split a
     * reporter makes before sending (so not part of what the coordinator side is timed for).
     */
    List<NodeReport> split(NodeReport r) {
        List<List<BlobHash>> added = hashShares(r.activeAdded()), removed = hashShares(r.activeRemoved());
        List<NodeReport> out = new ArrayList<>(ledgers.length);
        for (int p = 0; p < ledgers.length; p++) {
            out.add(r.kind() == NodeReport.Kind.FULL
                    ? NodeReport.full(r.node(), r.incarnation(), r.seq(), added.get(p), List.of())
                    : NodeReport.delta(r.node(), r.incarnation(), r.seq(), added.get(p), removed.get(p), List.of(),
                    List.of()));
        }
        return out;
    }

    /** Applies each partition's reports ({@code byPartition.get(p)}: its shares, in order), partitions in parallel. */
    void report(List<List<NodeReport>> byPartition, long now) {
        forEach(p -> {
            for (NodeReport r : byPartition.get(p)) ledgers[p].report(r, now);
        });
    }

    /** One cycle in every partition, planned and applied, partitions in parallel; returns their outcomes. */
    List<CycleOutcome> cycle(long now) {
        CycleOutcome[] out = new CycleOutcome[ledgers.length];
        forEach(p -> {
            out[p] = ledgers[p].planCycle(now, false);
            ledgers[p].applyCycle(out[p]);
        });
        return List.of(out);
    }

    /** A partition's snapshot, taken (no copy beyond the snapshot itself). */
    LedgerSnapshot snapshot(int p) {
        return ledgers[p].snapshot();
    }

    private List<List<Registration>> shares() {
        List<List<Registration>> out = new ArrayList<>(ledgers.length);
        for (int p = 0; p < ledgers.length; p++) out.add(new ArrayList<>());
        return out;
    }

    private List<List<BlobHash>> hashShares(List<BlobHash> hashes) {
        List<List<BlobHash>> out = new ArrayList<>(ledgers.length);
        for (int p = 0; p < ledgers.length; p++) out.add(new ArrayList<>());
        for (BlobHash h : hashes) out.get(partitioning.partitionOf(h)).add(h);
        return out;
    }

    /** Runs {@code step} for every partition, in parallel on the crew (P > 1), timing each on its own thread. */
    private void forEach(IntConsumer step) {
        IntConsumer timed = p -> {
            long t0 = System.nanoTime();
            step.accept(p);
            lastMs[p] = (System.nanoTime() - t0) / 1e6;
        };
        if (crew == null) timed.accept(0);
        else crew.forEach(timed);
    }

    @Override
    public void close() {
        if (crew != null) crew.close();
    }
}
