package io.blobgc.cli;

import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import io.blobgc.coordinator.CoordinatorCore;
import io.blobgc.ledger.Ledger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
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
final class RegistrationBench implements Callable<Integer> {

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
        Ledger l = new Ledger(LedgerSettings.DEFAULTS, 2 * n + 2);
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
        Ledger recovered = new Ledger(LedgerSettings.DEFAULTS, 2 * n + 2);
        for (Coordinator.Event e : journal) CoordinatorCore.apply(recovered, e);
        long t3 = System.nanoTime();
        if (recovered.knownBlobs() != l.knownBlobs()) throw new IllegalStateException("the replay lost blobs");
        return String.format(Locale.ROOT, "{\"workload\":\"registrations\",\"edges\":%d,\"chain_ms\":%.1f,"
                        + "\"chain_us_per_edge\":%.2f,\"fan_in_ms\":%.1f,\"fan_in_us_per_edge\":%.2f,\"events\":%d,"
                        + "\"replay_ms\":%.1f}", n, (t1 - t0) / 1e6, (t1 - t0) / 1e3 / n, (t2 - t1) / 1e6,
                (t2 - t1) / 1e3 / n, journal.size(), (t3 - t2) / 1e6);
    }

    private static void apply(Ledger l, List<Coordinator.Event> journal, CoordinatorCore.Decision<?> d) {
        for (Coordinator.Event e : d.events()) {
            journal.add(e);
            CoordinatorCore.apply(l, e);
        }
        d.reply().apply(l);
    }
}
