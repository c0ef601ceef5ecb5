package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A registration refused for a gone callee names what to upload again ({@code Registered.goneCallees}), so a VM that
 * uploads what GONE and refusals name converges. Review 31: a caller whose tombstone was pruned above a callee
 * collected later — the acquire of the unknown caller names the caller alone, and its registration, refused for the
 * callee, named nothing: the VM uploaded the caller for ever. At P = 4 (four linked entities) and at P = 1.
 */
class GoneCalleesTest extends FencesReviewBase {

    /**
     * a (partition 0) collected long ago, its tombstone pruned (unknown now; its edge to b went with it), b (partition
     * 1) collected later, its tombstone still there. The VM uploads, callees first, what the acquire's GONE and its
     * last refusals named, then acquires again: a's refusal names b (the walk of its registration found b gone), b is
     * uploaded, then a; ACQUIRED by the third round. Before, nothing named b and every round was the same.
     */
    @Test
    void aPrunedCallerAboveACollectedCalleeConvergesAcrossPartitions() {
        long now = System.currentTimeMillis();
        net.seed(0); // a: content in the store, no trace in the registry (its tombstone pruned)
        List<Coordinator.Event> one = new java.util.ArrayList<>(List.of(registered(b, null)));
        one.addAll(collected(b, now));
        net.seed(1, one.toArray(Coordinator.Event[]::new));
        net.seed(2);
        net.seed(3);
        startAll();
        Map<BlobHash, List<BlobHash>> deps = Map.of(a, List.of(b), b, List.of());
        List<String> rounds = new java.util.ArrayList<>();
        Set<BlobHash> named = new LinkedHashSet<>();
        AcquireReply r = acquire(a);
        for (int round = 0; round < 4 && r.result() != AcquireResult.ACQUIRED; round++) {
            named.addAll(r.gone());
            List<BlobHash> upload = new java.util.ArrayList<>(named);
            java.util.Collections.reverse(upload); // callees first: the refusals named them after their callers
            named.clear();
            StringBuilder line = new StringBuilder(r.result() + " naming " + (r.gone().contains(b) ? "b" : "not b") + ";");
            for (BlobHash h : upload) {
                TestProbe<io.blobgc.protocol.ReporterProtocol.Registered> probe = net.kit.createTestProbe();
                net.entities.get(net.partitioning.partitionOf(h)).tell(new io.blobgc.protocol.ReporterProtocol.Register(
                        List.of(new io.blobgc.ledger.Registration(h, deps.get(h))), probe.getRef()));
                var reg = probe.expectMessageClass(io.blobgc.protocol.ReporterProtocol.Registered.class,
                        java.time.Duration.ofSeconds(10));
                named.addAll(reg.goneCallees());
                line.append(" register ").append(h.equals(a) ? "a" : "b").append(": accepted ")
                        .append(reg.accepted().size()).append(", gone callees ").append(reg.goneCallees().size());
            }
            rounds.add(line.toString());
            r = acquire(a);
        }
        assertEquals(AcquireResult.ACQUIRED, r.result(), "rounds: " + rounds);
    }

    /** The same at P = 1, by CoordinatorCore alone: a's refusal names b, gone below its declared callee. */
    @Test
    void aPrunedCallerAboveACollectedCalleeIsRefusedNamingTheCalleeAtOnePartition() {
        long now = 1_700_000_000_000L;
        var ledger = new io.blobgc.ledger.PartitionedLedger(io.blobgc.ledger.LedgerSettings.DEFAULTS);
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(ledger, null, now);
        BlobHash pa = BlobHash.sha256("a".getBytes()), pb = BlobHash.sha256("b".getBytes()),
                pc = BlobHash.sha256("c".getBytes()), never = BlobHash.sha256("never".getBytes());
        run(ledger, core.register(ledger, List.of(io.blobgc.ledger.Registration.of(pb)), h -> true, now));
        run(ledger, core.register(ledger, List.of(new io.blobgc.ledger.Registration(pc, List.of(pb))), h -> true, now));
        for (Coordinator.Event e : List.of(new Coordinator.CycleCompleted(new io.blobgc.ledger.CycleOutcome(1, now,
                        false, false, false, List.of(pb), List.of(), List.of(), List.of(),
                        List.of(new io.blobgc.ledger.CycleOutcome.MarkedBlob(pb, now)), List.of(), List.of(), List.of(),
                        List.of(), 0), 0),
                new Coordinator.DeletionStarted(List.of(pb), now), new Coordinator.BlobsCollected(List.of(pb), now, 0))) {
            CoordinatorCore.apply(ledger, e);
        }
        assertEquals(io.blobgc.ledger.BlobStatus.COLLECTED, ledger.status(pb).orElseThrow());
        var refused = (io.blobgc.protocol.ReporterProtocol.Registered) run(ledger, core.register(ledger,
                List.of(new io.blobgc.ledger.Registration(pa, List.of(pc, never))), h -> true, now));
        assertEquals(List.of(pa), refused.rejected());
        assertEquals(Set.of(pb, never), Set.copyOf(refused.goneCallees()),
                "b, gone below the declared callee c, and the callee never uploaded");
        run(ledger, core.register(ledger, List.of(io.blobgc.ledger.Registration.of(pb),
                io.blobgc.ledger.Registration.of(never)), h -> true, now));
        var accepted = (io.blobgc.protocol.ReporterProtocol.Registered) run(ledger, core.register(ledger,
                List.of(new io.blobgc.ledger.Registration(pa, List.of(pc, never))), h -> true, now));
        assertEquals(List.of(pa), accepted.accepted());
        assertEquals(List.of(), accepted.goneCallees());
    }

    private static Object run(io.blobgc.ledger.PartitionedLedger l, CoordinatorCore.Decision<?> d) {
        d.events().forEach(e -> CoordinatorCore.apply(l, e));
        return d.reply().apply(l);
    }
}
