package io.blobgc.bench;

import io.blobgc.BlobHash;
import io.blobgc.ledger.IntSet;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.Ledger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.LedgerSnapshot;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code blob-gc bench}: the original's benchmark workload (../shared/bench) on the ledger the coordinator uses.
 * BLOBS hashes are registered; each of NODES nodes holds ACTIVE distinct random ones; every cycle each node drops
 * CHURN of them and draws as many new ones, reports them (a DELTA: our protocol), and one GC cycle runs. Prints
 * one JSON line with the original's fields and ours; progress goes to stderr.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark the GC ledger on the original's workload; prints one JSON line.")
public final class Bench implements Callable<Integer> {

    @Option(names = "--blobs", defaultValue = "1000000") int blobs;
    @Option(names = "--nodes", defaultValue = "100") int nodes;
    @Option(names = "--active", defaultValue = "10000", description = "active blobs per node") int active;
    @Option(names = "--churn", defaultValue = "100", description = "blobs each node drops and picks per cycle") int churn;
    @Option(names = "--cycles", defaultValue = "5") int cycles;
    @Option(names = "--warmup", defaultValue = "3", description = "untimed cycles first (JIT)") int warmup;
    @Option(names = "--cycle-seconds", defaultValue = "30", description = "simulated time between cycles (the default "
            + "cycle-interval): with the 5-minute grace, unused blobs reach their grace's end from the 10th cycle on")
    int cycleSeconds;
    @Option(names = "--no-snapshot", description = "skip the snapshot write and recovery (they need about as much "
            + "heap again as the state)") boolean noSnapshot;
    @Option(names = "--partitions", defaultValue = "1", description = "split the registry into this many ledgers by "
            + "hash prefix (a power of two), each applying its share of the reports and running its cycles on a "
            + "thread of a pool") int partitions;
    @Option(names = "--threads", defaultValue = "0", description = "the pool's threads (0: the partitions, at most "
            + "the cores)") int threads;
    @Option(names = "--max-transitions", defaultValue = "50000", description = "the most status changes a cycle "
            + "decides (blob-gc.max-transitions-per-cycle; default: the shipped one)")
    int maxTransitions;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** The original's xorshift generator, so both draw the same way. */
    private static final class Rng {
        long x = 0x1234_5678_9abc_def1L;

        long next() {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            return x;
        }

        int below(int n) {
            return (int) Long.remainderUnsigned(next(), n);
        }
    }

    /** The original's hash_of: four rounds of a splitmix-style mix of i. */
    static BlobHash hashOf(long i) {
        long z = i * 0x9E3779B97F4A7C15L ^ 0xD1B54A32D192ED03L;
        long[] w = new long[4];
        for (int c = 0; c < 4; c++) {
            z ^= z >>> 29;
            z *= 0xBF58476D1CE4E5B9L;
            w[c] = z;
        }
        return new BlobHash(w[0], w[1], w[2], w[3]);
    }

    @Override
    public Integer call() throws Exception {
        if (blobs < 1 || nodes < 1 || active < 1 || cycles < 1 || churn < 0 || active > blobs || churn > active) {
            throw new IllegalArgumentException("need blobs >= active >= churn >= 0, nodes >= 1, cycles >= 1");
        }
        PrintWriter err = spec.commandLine().getErr();
        long baseHeap = usedHeapAfterGc();
        long now = 1_700_000_000_000L;
        // grace 5 min, as the original's benchmark; cycles paged as the shipped configuration pages them
        LedgerSettings settings = LedgerSettings.DEFAULTS.withMaxTransitionsPerCycle(maxTransitions);
        int poolThreads = threads > 0 ? threads : Math.min(partitions, Runtime.getRuntime().availableProcessors());
        try (BenchLedgers ledgers = new BenchLedgers(settings, partitions, poolThreads, blobs)) {
            return run(ledgers, settings, baseHeap, now, err, poolThreads);
        }
    }

    private int run(BenchLedgers ledgers, LedgerSettings settings, long baseHeap, long now, PrintWriter err,
                    int poolThreads) throws Exception {
        List<Registration> batch = new ArrayList<>(10_000);
        for (int i = 0; i < blobs; i++) {
            batch.add(Registration.of(hashOf(i)));
            if (batch.size() == 10_000 || i == blobs - 1) {
                ledgers.register(batch);
                batch.clear();
            }
        }
        err.printf("registered %d blobs in %d partition(s)%n", blobs, partitions);
        // each node's active set, as blob indexes (the harness's own data: dropped before memory is measured)
        Rng rng = new Rng();
        int[][] sets = new int[nodes][];
        long[] seq = new long[nodes];
        List<NodeReport> fulls = new ArrayList<>(nodes);
        for (int n = 0; n < nodes; n++) {
            IntSet s = new IntSet(active * 2, IntSet.seed(-1 - n));
            while (s.size() < active) s.add(rng.below(blobs));
            sets[n] = s.toArray();
            List<BlobHash> full = new ArrayList<>(active);
            for (int i : sets[n]) full.add(hashOf(i));
            fulls.add(NodeReport.full(node(n), 1, ++seq[n], full, List.of()));
        }
        ledgers.report(byPartition(ledgers, fulls), now);
        fulls = null;
        ledgers.cycle(now);
        err.printf("%d nodes reported %d active blobs each%n", nodes, active);

        double[] ingest = new double[cycles], cycle = new double[cycles];
        double[][] partIngest = new double[partitions][cycles], partCycle = new double[partitions][cycles];
        long deltas = 0;
        double ingestTotal = 0;
        for (int c = -warmup; c < cycles; c++) {
            // the workload: every node drops `churn` blobs and draws as many others (outside the timed part)
            List<NodeReport> reports = new ArrayList<>(nodes);
            for (int n = 0; n < nodes; n++) {
                IntSet s = new IntSet(active + 16, IntSet.seed(-1 - n));
                for (int i : sets[n]) s.add(i);
                List<BlobHash> removed = new ArrayList<>(churn), added = new ArrayList<>(churn);
                // victims at random, as the original's harness takes them (the first of a randomly keyed HashSet)
                int[] members = sets[n];
                for (int k = 0; k < churn; k++) {
                    int j = k + rng.below(members.length - k);
                    int victim = members[j];
                    members[j] = members[k];
                    members[k] = victim;
                    s.remove(victim);
                    removed.add(hashOf(victim));
                }
                while (s.size() < active) {
                    int pick = rng.below(blobs);
                    if (s.add(pick)) added.add(hashOf(pick));
                }
                sets[n] = s.toArray();
                reports.add(NodeReport.delta(node(n), 1, ++seq[n], added, removed, List.of(), List.of()));
            }
            List<List<NodeReport>> shares = byPartition(ledgers, reports);
            now += cycleSeconds * 1_000L;
            long t0 = System.nanoTime();
            ledgers.report(shares, now);
            long t1 = System.nanoTime();
            double[] reportMs = ledgers.lastPartitionMs();
            List<CycleOutcome> outcomes = ledgers.cycle(now);
            long t2 = System.nanoTime();
            if (c >= 0) {
                ingest[c] = (t1 - t0) / 1e6;
                cycle[c] = (t2 - t1) / 1e6;
                double[] cycleMs = ledgers.lastPartitionMs();
                for (int p = 0; p < partitions; p++) {
                    partIngest[p][c] = reportMs[p];
                    partCycle[p][c] = cycleMs[p];
                }
                ingestTotal += (t1 - t0) / 1e9;
                for (NodeReport r : reports) deltas += r.activeAdded().size() + r.activeRemoved().size();
                int unreferenced = 0, rescued = 0;
                for (CycleOutcome o : outcomes) {
                    unreferenced += o.unreferenced().size();
                    rescued += o.rescued().size();
                }
                err.printf(Locale.ROOT, "cycle %d: ingest %.2f ms, cycle %.2f ms (%d unreferenced, %d rescued)%n", c + 1,
                        ingest[c], cycle[c], unreferenced, rescued);
            }
        }
        sets = null;
        long heap = usedHeapAfterGc() - baseHeap;

        // each partition's snapshot, written (Pekko's serializer) and recovered from, one partition at a time
        double writeMs = 0, recoveryMs = 0;
        long snapshotBytes = 0;
        StringBuilder perPartition = new StringBuilder();
        if (!noSnapshot) SnapshotCodec.warmUp();
        for (int p = 0; p < partitions; p++) {
            long s0 = 0, s1 = 0, s2 = 0;
            int bytes = 0;
            if (!noSnapshot) {
                s0 = System.nanoTime();
                LedgerSnapshot snap = ledgers.snapshot(p);
                byte[] written = SnapshotCodec.write(snap);
                snap = null;
                s1 = System.nanoTime();
                Ledger recovered = Ledger.fromSnapshot(settings, SnapshotCodec.read(written));
                s2 = System.nanoTime();
                if (recovered.knownBlobs() != ledgers.ledger(p).knownBlobs()) {
                    throw new IllegalStateException("recovery of partition " + p + " lost blobs");
                }
                bytes = written.length;
            }
            writeMs += (s1 - s0) / 1e6;
            recoveryMs += (s2 - s1) / 1e6;
            snapshotBytes += bytes;
            perPartition.append(p == 0 ? "" : ",").append(String.format(Locale.ROOT, "{\"partition\":%d,\"blobs\":%d,"
                            + "\"ingest_ms_median\":%.3f,\"cycle_ms_median\":%.3f,\"snapshot_bytes\":%d,"
                            + "\"snapshot_write_ms\":%.0f,\"snapshot_recovery_ms\":%.0f}", p,
                    ledgers.ledger(p).knownBlobs(), median(partIngest[p]), median(partCycle[p]), bytes,
                    (s1 - s0) / 1e6, (s2 - s1) / 1e6));
        }

        spec.commandLine().getOut().printf(Locale.ROOT, "{\"impl\":\"blob-gc\",\"blobs\":%d,\"nodes\":%d,\"active_per_node\":%d,"
                        + "\"churn_per_node\":%d,\"cycles\":%d,\"partitions\":%d,\"threads\":%d,"
                        + "\"ingest_ms_median\":%.3f,\"cycle_ms_median\":%.3f,"
                        + "\"cycle_plus_ingest_ms_median\":%.3f,\"cycle_plus_ingest_ms_median_first5\":%.3f,"
                        + "\"cycle_plus_ingest_ms_median_last20\":%.3f,\"bytes_per_blob\":%.1f,\"deltas_per_sec\":%.0f,"
                        + "\"snapshot_write_ms\":%.0f,\"snapshot_bytes\":%d,\"snapshot_recovery_ms\":%.0f,"
                        + "\"per_partition\":[%s]}%n",
                blobs, nodes, active, churn, cycles, partitions, poolThreads, median(ingest), median(cycle),
                medianSum(ingest, cycle), medianSum(first(ingest, 5), first(cycle, 5)),
                medianSum(last(ingest, 20), last(cycle, 20)), (double) heap / blobs, deltas / ingestTotal, writeMs,
                snapshotBytes, recoveryMs, perPartition);
        return 0;
    }

    /** Every report split by partition: the list each partition applies, in the reports' order. */
    private static List<List<NodeReport>> byPartition(BenchLedgers ledgers, List<NodeReport> reports) {
        List<List<NodeReport>> out = new ArrayList<>(ledgers.partitions());
        for (int p = 0; p < ledgers.partitions(); p++) out.add(new ArrayList<>(reports.size()));
        for (NodeReport r : reports) {
            List<NodeReport> shares = ledgers.split(r);
            for (int p = 0; p < shares.size(); p++) out.get(p).add(shares.get(p));
        }
        return out;
    }

    private static String node(int n) {
        return "pekko://bench@10.0.0." + (n % 250) + ":" + (25520 + n / 250) + "#" + n;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double[] first(double[] xs, int n) {
        return Arrays.copyOf(xs, Math.min(n, xs.length));
    }

    /** The last {@code n} (the steady state of a long run). */
    private static double[] last(double[] xs, int n) {
        return Arrays.copyOfRange(xs, Math.max(0, xs.length - n), xs.length);
    }

    private static double medianSum(double[] a, double[] b) {
        double[] s = new double[a.length];
        for (int i = 0; i < a.length; i++) s[i] = a[i] + b[i];
        return median(s);
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        var mem = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) { // until it stops shrinking
            System.gc();
            Thread.sleep(100);
            long u = mem.getHeapMemoryUsage().getUsed();
            if (u >= used) break;
            used = u;
        }
        return used;
    }
}
