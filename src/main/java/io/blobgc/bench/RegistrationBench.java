package io.blobgc.bench;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.CoordinatorCore;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.Registered;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code blob-gc bench-registrations}: what registrations cost the coordinator (its decision and the ledger's
 * apply, the code the actor runs) on the shapes issue 20 found quadratic — a chain grown one edge per request while
 * a node holds its top, then as many callers onto that top (a fan-in), 1,000 per request — and what replaying those
 * registrations from the journal costs a recovering coordinator. A cycle runs every 1,000 requests, as the cycle
 * timer would. Prints one JSON line per size. A chain costs the same per edge at any length; a fan-in onto one blob
 * does not yet (issue 20, open): each new edge copies the callee's array of dependents, O(k) for its k-th caller.
 */
@Command(name = "bench-registrations", mixinStandardHelpOptions = true,
        description = "Benchmark registrations (chain, fan-in) and their replay; prints one JSON line per size.")
public final class RegistrationBench implements Callable<Integer> {

    @Option(names = "--edges", split = ",", defaultValue = "1000,10000,100000",
            description = "chain lengths (and as many fan-in callers)") List<Integer> sizes;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        for (int n : sizes) {
            if (n < 1) throw new IllegalArgumentException("--edges must be positive");
            run(Math.min(n, 1_000)); // warm-up (JIT)
            spec.commandLine().getOut().println(run(n));
        }
        return 0;
    }

    private static String run(int n) {
        long now = 1_700_000_000_000L;
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS, 2 * n + 2);
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(l, null, now);
        List<Coordinator.Event> journal = new ArrayList<>();
        BlobHash top = Bench.hashOf(0);
        apply(l, journal, core.register(l, List.of(Registration.of(top)), h -> true, now));
        apply(l, journal, core.report(NodeReport.full("vm", 1, 1, List.of(top), List.of()), now));
        long seq = 1;
        long t0 = System.nanoTime();
        for (int i = 1; i <= n; i++) { // the chain grows at its top, which a node holds
            BlobHash next = Bench.hashOf(i);
            apply(l, journal, core.register(l, List.of(new Registration(next, List.of(top))), h -> true, now));
            apply(l, journal, core.report(NodeReport.delta("vm", 1, ++seq, List.of(next), List.of(top), List.of(),
                    List.of()), now));
            top = next;
            if (i % 1_000 == 0) apply(l, journal, core.cycle(l, false, now, now));
        }
        long t1 = System.nanoTime();
        List<Registration> fanIn = new ArrayList<>();
        for (int i = 1; i <= n; i++) { // a fan-in onto the top, 1,000 callers a request (a POST's worth)
            fanIn.add(new Registration(Bench.hashOf(n + i), List.of(top)));
            if (fanIn.size() == 1_000 || i == n) {
                apply(l, journal, core.register(l, List.copyOf(fanIn), h -> true, now));
                apply(l, journal, core.cycle(l, false, now, now));
                fanIn.clear();
            }
        }
        long t2 = System.nanoTime();
        PartitionedLedger recovered = new PartitionedLedger(LedgerSettings.DEFAULTS, 2 * n + 2);
        for (Coordinator.Event e : journal) CoordinatorCore.apply(recovered, e);
        long t3 = System.nanoTime();
        if (recovered.knownBlobs() != l.knownBlobs()) throw new IllegalStateException("the replay lost blobs");
        // one request: a chain of up to 10,000 edges (a POST's worth), callers listed first and its bottom without
        // content, so that every caller falls, one after the other (the worst order for a fixpoint by passes)
        int m = Math.min(n, 10_000);
        List<Registration> batch = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            batch.add(new Registration(Bench.hashOf(3L * n + i), List.of(Bench.hashOf(3L * n + i + 1))));
        }
        long t4 = System.nanoTime();
        Registered refused = core.register(l, batch, h -> !h.equals(Bench.hashOf(3L * n + m)), now)
                .reply().apply(l);
        long t5 = System.nanoTime();
        if (refused.rejected().size() != m) {
            throw new IllegalStateException("the batch's callers did not all fall: " + refused.rejected().size());
        }
        // diamonds: layers of two blobs, each depending on both of the layer below, registered a layer per request
        // while a node holds the top layer (each new layer's closure is every layer below it)
        PartitionedLedger d = new PartitionedLedger(LedgerSettings.DEFAULTS, n + 4);
        CoordinatorCore dc = new CoordinatorCore(false);
        dc.recovered(d, null, now);
        List<BlobHash> below = List.of(Bench.hashOf(4L * n), Bench.hashOf(4L * n + 1));
        apply(d, new ArrayList<>(), dc.register(d, below.stream().map(Registration::of).toList(), h -> true, now));
        apply(d, new ArrayList<>(), dc.report(NodeReport.full("vm", 1, 1, below, List.of()), now));
        long dseq = 1;
        long t6 = System.nanoTime();
        for (int layer = 1; layer <= n / 4; layer++) { // 4 edges a layer: n edges in all
            List<BlobHash> next = List.of(Bench.hashOf(4L * n + 2L * layer), Bench.hashOf(4L * n + 2L * layer + 1));
            apply(d, new ArrayList<>(), dc.register(d, List.of(new Registration(next.get(0), below),
                    new Registration(next.get(1), below)), h -> true, now));
            apply(d, new ArrayList<>(), dc.report(NodeReport.delta("vm", 1, ++dseq, next, below, List.of(),
                    List.of()), now));
            below = next;
            if (layer % 250 == 0) apply(d, new ArrayList<>(), dc.cycle(d, false, now, now));
        }
        long t7 = System.nanoTime();
        return String.format(Locale.ROOT, "{\"workload\":\"registrations\",\"edges\":%d,\"chain_ms\":%.1f,"
                        + "\"chain_us_per_edge\":%.2f,\"fan_in_ms\":%.1f,\"fan_in_us_per_edge\":%.2f,\"events\":%d,"
                        + "\"replay_ms\":%.1f,\"one_request_chain_edges\":%d,\"one_request_ms\":%.1f,"
                        + "\"diamond_ms\":%.1f,\"diamond_us_per_edge\":%.2f}", n, (t1 - t0) / 1e6, (t1 - t0) / 1e3 / n,
                (t2 - t1) / 1e6, (t2 - t1) / 1e3 / n, journal.size(), (t3 - t2) / 1e6, m, (t5 - t4) / 1e6,
                (t7 - t6) / 1e6, (t7 - t6) / 1e3 / Math.max(1, 4 * (n / 4)));
    }

    private static void apply(PartitionedLedger l, List<Coordinator.Event> journal, CoordinatorCore.Decision<?> d) {
        for (Coordinator.Event e : d.events()) {
            journal.add(e);
            CoordinatorCore.apply(l, e);
        }
        d.reply().apply(l);
    }
}
