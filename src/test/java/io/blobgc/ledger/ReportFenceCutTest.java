package io.blobgc.ledger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.blobgc.BlobHash;
import io.blobgc.coordinator.Coordinator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.blobgc.ledger.LedgerFixture.h;
import static io.blobgc.ledger.LedgerFixture.hashes;
import static io.blobgc.ledger.PartitionedLedgerTest.in;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The report-fence cut of partitions-part2-plan §8 ("The closure"), at the ledger: each partition keeps the latest FULL
 * of each node whose report fence it has done ({@link Ledger#fullFenced}), every export carries that map
 * ({@link PartitionedLedger.Export#fenced}), and a node's view confirms nothing absent (S3: the mark and the second
 * phase) until the map of every live partition's last settled export fenced the node's last FULL. The window tests
 * themselves are {@link ReportFenceWindowTest}.
 */
class ReportFenceCutTest {

    private static final String A = "partition:1", C = "partition:2";

    // ==== One partition's ledger, hosted (its driver tells when a walk is done), viewing partitions A and C

    /** Grace 0; {@code x} registered; A and C up; n1's FULL and A's and C's settled FULLs, each fencing it. */
    private static LedgerFixture hostedWithTwoPartitions(BlobHash x) {
        LedgerFixture f = LedgerFixture.noGrace();
        f.ledger.fenceReportsAtApply(false);
        f.register(x);
        f.ledger.partitionUp(A, f.now);
        f.ledger.partitionUp(C, f.now);
        f.full("n1");
        f.ledger.fullFenced("n1", 1, 1);
        export(f, A, fenced(1, 1));
        export(f, C, fenced(1, 1));
        return f;
    }

    /** n1's FULL (1, seq) fenced, as an export carries it. */
    private static Map<String, FencedFull> fenced(long incarnation, long seq) {
        return Map.of("n1", new FencedFull(incarnation, seq));
    }

    /** Partition {@code from}'s next settled report (its first a FULL, then empty DELTAs), carrying {@code map}. */
    private static ReportOutcome export(LedgerFixture f, String from, Map<String, FencedFull> map) {
        long seq = f.nextSeq(from);
        NodeReport r = seq == 1 ? NodeReport.full(from, 1, seq, List.of(), List.of())
                : NodeReport.delta(from, 1, seq, List.of(), List.of(), List.of(), List.of());
        return f.ledger.report(r, map, f.now);
    }

    @Test
    void aFullNotFencedByOneLivePartitionConfirmsNothingUntilItIs() {
        BlobHash x = h(1);
        LedgerFixture f = hostedWithTwoPartitions(x);
        assertTrue(f.ledger.minConfirmTick() > 0, "n1's FULL 1 is fenced by both: " + f.ledger.unfencedFulls());
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.full("n1"); // FULL 2, after x's decision: a hold by report alone could come with it
        export(f, A, fenced(1, 2));
        export(f, C, fenced(1, 1)); // built before C fenced FULL 2
        assertEquals(-1, f.ledger.minConfirmTick());
        assertEquals(List.of("n1: FULL 2 not fenced by " + C), f.ledger.unfencedFulls());
        assertTrue(f.cycle().marked().isEmpty(), "C has not fenced n1's FULL 2");
        export(f, C, fenced(1, 2));
        assertTrue(f.ledger.minConfirmTick() > 0);
        assertEquals(List.of(), f.ledger.unfencedFulls());
        assertEquals(List.of(x), hashes(f.cycle().marked()));
        // the second phase as well
        f.full("n1"); // FULL 3
        export(f, A, fenced(1, 3));
        export(f, C, Map.of()); // C's view of n1 was removed meanwhile, say: it fences nothing of n1
        assertTrue(f.ledger.planDeletion(10).isEmpty(), "C has not fenced n1's FULL 3");
        export(f, C, fenced(1, 3));
        assertEquals(List.of(x), f.ledger.planDeletion(10));
    }

    @Test
    void aStalePartitionIsLeftOutOfTheCut() {
        BlobHash x = h(1);
        LedgerFixture f = hostedWithTwoPartitions(x);
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.full("n1"); // FULL 2; C is down and never fences it
        export(f, A, fenced(1, 2));
        assertEquals(-1, f.ledger.minConfirmTick());
        f.advance(f.ledger.settings().staleThresholdMs());
        f.heartbeat("n1");
        export(f, A, fenced(1, 2));
        CycleOutcome o = f.cycle(); // C is stale now: its last view keeps protecting, and it confirms nothing (S4)
        assertEquals(List.of(C), o.staleNodes());
        assertEquals(List.of(x), hashes(o.marked()));
    }

    @Test
    void aProvisionalMapIsIgnored() {
        BlobHash x = h(1);
        LedgerFixture f = hostedWithTwoPartitions(x);
        assertEquals(List.of(x), f.cycle().unreferenced());
        f.full("n1"); // FULL 2
        export(f, A, fenced(1, 2));
        // C recovered and warms up: its provisional FULL's map is not kept (its sender may not know all it fences)
        assertEquals(ReportOutcome.APPLIED,
                f.ledger.report(NodeReport.full(C, 2, 1, List.of(), List.of()).provisional(), fenced(1, 2), f.now));
        assertEquals(-1, f.ledger.minConfirmTick());
        assertTrue(f.cycle().marked().isEmpty(), "only a provisional report of C said FULL 2 was fenced");
        assertEquals(ReportOutcome.APPLIED,
                f.ledger.report(NodeReport.full(C, 2, 2, List.of(), List.of()), fenced(1, 2), f.now));
        assertTrue(f.ledger.minConfirmTick() > 0);
        assertEquals(List.of(x), hashes(f.cycle().marked()));
    }

    @Test
    void aChunkedFullIsTheLastFullOnceItsLastChunkIsIn() {
        BlobHash x = h(1);
        LedgerFixture f = hostedWithTwoPartitions(x);
        long seq = f.nextSeq("n1");
        NodeReport chunk0 = new NodeReport("n1", 1, seq, NodeReport.Kind.FULL, List.of(), List.of(), List.of(),
                List.of(), 0, 2);
        NodeReport chunk1 = new NodeReport("n1", 1, seq, NodeReport.Kind.FULL, List.of(), List.of(), List.of(),
                List.of(), 1, 2);
        assertEquals(ReportOutcome.CHUNK_BUFFERED, f.ledger.report(chunk0, f.now));
        assertTrue(f.ledger.minConfirmTick() > 0, "FULL 2 is not in yet: FULL 1 is n1's last, fenced by both");
        f.ledger.fullFenced("n1", 1, seq);
        assertEquals(new FencedFull(1, 1), f.ledger.fencedFulls().get("n1"), "a FULL not applied is not fenced");
        assertEquals(ReportOutcome.APPLIED, f.ledger.report(chunk1, f.now));
        assertEquals(-1, f.ledger.minConfirmTick(), "FULL 2 is n1's last now");
        f.ledger.fullFenced("n1", 1, seq);
        assertEquals(new FencedFull(1, seq), f.ledger.fencedFulls().get("n1"));
        export(f, A, fenced(1, seq));
        export(f, C, fenced(1, seq));
        assertTrue(f.ledger.minConfirmTick() > 0);
    }

    @Test
    void theCutOrdersByIncarnationThenSeq() {
        assertTrue(new FencedFull(2, 1).covers(1, 99));
        assertTrue(new FencedFull(2, 1).covers(2, 1));
        assertFalse(new FencedFull(2, 1).covers(2, 2));
        assertFalse(new FencedFull(1, 99).covers(2, 1));

        BlobHash x = h(1);
        LedgerFixture f = hostedWithTwoPartitions(x);
        f.ledger.report(NodeReport.full("n1", 2, 1, List.of(), List.of()), f.now); // n1 restarted: incarnation 2
        export(f, A, fenced(2, 1));
        export(f, C, fenced(1, 99)); // a later seq of the older incarnation
        assertEquals(-1, f.ledger.minConfirmTick());
        export(f, C, fenced(2, 1));
        assertTrue(f.ledger.minConfirmTick() > 0);
        export(f, C, fenced(3, 0)); // a later incarnation's FULL (this view has not taken it yet)
        assertTrue(f.ledger.minConfirmTick() > 0);
    }

    @Test
    void aPartitionKeepsTheLatestFullItAppliedAndFenced() {
        LedgerFixture f = LedgerFixture.noGrace();
        f.ledger.fenceReportsAtApply(false);
        f.ledger.partitionUp(A, f.now);
        f.full("n1");
        assertEquals(Map.of(), f.ledger.fencedFulls(), "applied, not fenced yet");
        f.ledger.fullFenced("n1", 1, 1);
        f.ledger.fullFenced("n1", 1, 7); // never applied here
        f.ledger.fullFenced("n2", 1, 1); // no such view
        f.ledger.fullFenced(A, 1, 1); // a partition's view: never fenced
        assertEquals(Map.of("n1", new FencedFull(1, 1)), f.ledger.fencedFulls());
        f.full("n1");
        f.full("n1");
        f.ledger.fullFenced("n1", 1, 3);
        f.ledger.fullFenced("n1", 1, 2); // a walk that ended later does not lower it
        assertEquals(Map.of("n1", new FencedFull(1, 3)), f.ledger.fencedFulls());

        // a ledger that applies and fences in one step (the whole, P = 1) keeps each FULL fenced at apply
        LedgerFixture whole = LedgerFixture.noGrace();
        whole.ledger.partitionUp(A, whole.now);
        whole.full("n1");
        assertEquals(Map.of("n1", new FencedFull(1, 1)), whole.ledger.fencedFulls());
        assertEquals(List.of(), whole.ledger.unfencedFulls());
    }

    @Test
    void theWholeFencesAsItAppliesAndAHostedLedgerWaitsForItsDriver() {
        Partitioning p4 = Partitioning.of(4);
        PartitionedLedger whole = new PartitionedLedger(LedgerSettings.DEFAULTS, 64, p4);
        PartitionedLedger hosted = PartitionedLedger.hosting(LedgerSettings.DEFAULTS, 64, p4, 1);
        for (PartitionedLedger l : List.of(whole, hosted)) {
            l.memberUp("n1", 0);
            l.planCycle(0, 0, false); // connected: every partition views the others
            assertEquals(ReportOutcome.APPLIED, l.report(NodeReport.full("n1", 1, 1, List.of(), List.of()), 0));
        }
        assertEquals(List.of(), whole.unfencedFulls());
        for (int p = 0; p < 4; p++) assertEquals(Map.of("n1", new FencedFull(1, 1)), whole.partition(p).fencedFulls());
        assertEquals(Map.of(), hosted.partition(1).fencedFulls());
        assertEquals(List.of("n1: FULL 1 not fenced by partition:0"), hosted.unfencedFulls());
        hosted.fullFenced("n1", 1, 1);
        List<PartitionedLedger.Export> exports = hosted.flushExports(1, 0);
        assertEquals(3, exports.size());
        for (PartitionedLedger.Export e : exports) assertEquals(Map.of("n1", new FencedFull(1, 1)), e.fenced());
    }

    @Test
    void theFencedMapSurvivesACborRoundTrip() throws Exception {
        ObjectMapper cbor = new ObjectMapper(new CBORFactory());
        Map<String, FencedFull> map = Map.of("n1", new FencedFull(3, 17), "n2", new FencedFull(1, 2));
        NodeReport r = NodeReport.delta(A, 4, 9, List.of(h(1)), List.of(), List.of(), List.of());
        PartitionedLedger.Export e = new PartitionedLedger.Export(1, 0, r, 2, map);
        PartitionedLedger.Export e2 = cbor.readValue(cbor.writeValueAsBytes(e), PartitionedLedger.Export.class);
        assertEquals(e, e2);
        assertEquals(map, e2.fenced());

        Coordinator.PartitionExport m = new Coordinator.PartitionExport(1, 0, 2, r, map);
        Coordinator.PartitionExport m2 = cbor.readValue(cbor.writeValueAsBytes(m), Coordinator.PartitionExport.class);
        assertEquals(m, m2);
        // an export of a sender without the field carries no map: it fences nothing
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) cbor.readTree(cbor.writeValueAsBytes(m));
        tree.remove("fenced");
        Coordinator.PartitionExport old = cbor.treeToValue(tree, Coordinator.PartitionExport.class);
        assertEquals(Map.of(), new PartitionedLedger.Export(old.from(), old.to(), old.report(), old.echo(),
                old.fenced()).fenced());
    }

    // ==== Liveness: hosted ledgers of four partitions, each a driver's (its walks, its exports every cycle)

    private static final Partitioning P4 = Partitioning.of(4);
    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(0)
            .withStaleThresholdMs(10_000);

    private final PartitionedLedger[] hosts = new PartitionedLedger[P4.count()];
    private final InstantPartitions net;
    private final boolean[] down = new boolean[P4.count()];
    private long now = 1_700_000_000_000L;
    private long ns, ms;

    ReportFenceCutTest() {
        for (int p = 0; p < hosts.length; p++) hosts[p] = PartitionedLedger.hosting(SETTINGS, 64, P4, p);
        net = new InstantPartitions(P4, hosts);
    }

    /**
     * A node's report as the hosts' drivers take it: every host that is up applies its share; then the report fence
     * of the holds it added runs, and when that walk is done each host is told its FULL is fenced.
     */
    private ReportOutcome report(NodeReport r) {
        ReportOutcome out = null;
        for (int p = 0; p < hosts.length; p++) if (!down[p]) out = PartitionedLedger.mostTelling(out, hosts[p].report(r, now));
        List<BlobHash> held = new ArrayList<>();
        for (int p = 0; p < hosts.length; p++) if (!down[p]) held.addAll(hosts[p].reportedHolds(r, out));
        if (!held.isEmpty()) assertTrue(net.protectRemoteClosure(held, false, now).done());
        if (out == ReportOutcome.APPLIED && r.kind() == NodeReport.Kind.FULL) {
            for (int p = 0; p < hosts.length; p++) if (!down[p]) hosts[p].fullFenced(r.node(), r.incarnation(), r.seq());
        }
        return out;
    }

    /** One step: heartbeats of n and m, then every host that is up cycles, then flushes to the others that are up. */
    private void step() {
        now += 1_000;
        report(NodeReport.delta("n", 1, ++ns, List.of(), List.of(), List.of(), List.of()));
        report(NodeReport.delta("m", 1, ++ms, List.of(), List.of(), List.of(), List.of()));
        for (int p = 0; p < hosts.length; p++) {
            if (!down[p]) hosts[p].applyCycle(hosts[p].planCycle(now, now, false));
        }
        for (int p = 0; p < hosts.length; p++) {
            if (down[p]) continue;
            for (PartitionedLedger.Export e : hosts[p].flushExports(p, now)) if (!down[e.to()]) net.deliver(e, now);
        }
    }

    /** y (partition 0) -> x (partition 1); n holds y, m holds nothing; steps until all is settled. */
    private void nHoldsY(BlobHash y, BlobHash x) {
        for (PartitionedLedger h : hosts) h.applyRegistered(List.of(new Registration(y, List.of(x)), Registration.of(x)));
        for (PartitionedLedger h : hosts) {
            h.memberUp("n", now);
            h.memberUp("m", now);
        }
        assertEquals(ReportOutcome.APPLIED, report(NodeReport.full("n", 1, ++ns, List.of(y), List.of())));
        assertEquals(ReportOutcome.APPLIED, report(NodeReport.full("m", 1, ++ms, List.of(), List.of())));
        for (int i = 0; i < 3; i++) step();
        assertTrue(hosts[1].isProtected(x));
        assertEquals(Optional.of(BlobStatus.ACTIVE), hosts[1].status(x));
    }

    /** Steps until {@code x} is marked and handed to the sweeper; how many it took (fails after {@code max}). */
    private int stepsUntilDeleted(BlobHash x, int max) {
        for (int i = 1; i <= max; i++) {
            step();
            if (hosts[1].planDeletion(100).contains(x)) return i;
        }
        throw new AssertionError(x.shortHex() + " not handed to the sweeper in " + max + " steps: "
                + hosts[1].status(x) + ", not fenced: " + hosts[1].unfencedFulls());
    }

    @Test
    void afterAFullAnUnheldBlobIsStillMarkedAndDeletedWithinAFewCycles() {
        BlobHash y = in(0, 1), x = in(1, 2);
        nHoldsY(y, x);
        assertEquals(ReportOutcome.APPLIED, report(NodeReport.full("n", 1, ++ns, List.of(), List.of()))); // n drops y
        int steps = stepsUntilDeleted(x, 5);
        assertTrue(steps <= 4, steps + " steps");
        assertEquals(Optional.of(BlobStatus.MARKED_FOR_COLLECTION), hosts[1].status(x));
        assertEquals(List.of(), hosts[1].unfencedFulls());
    }

    @Test
    void aPartitionDownHoldsTheCutOnlyUntilItIsStale() {
        BlobHash y = in(0, 1), x = in(1, 2);
        nHoldsY(y, x);
        down[3] = true; // partition 3 stops: it takes no report and sends no export
        long full = ++ns;
        assertEquals(ReportOutcome.APPLIED, report(NodeReport.full("n", 1, full, List.of(), List.of())));
        step();
        assertEquals(List.of("n: FULL " + full + " not fenced by partition:3"), hosts[1].unfencedFulls());
        // stale after 10 s: left out of the cut (S4), as it is left out of the confirmation
        int steps = stepsUntilDeleted(x, 16);
        assertTrue(steps >= 8, "not before partition 3 is stale: " + steps + " steps");
        assertEquals(Set.of(), Set.copyOf(hosts[1].unfencedFulls()));
    }
}
