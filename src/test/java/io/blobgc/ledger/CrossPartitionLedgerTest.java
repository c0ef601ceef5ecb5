package io.blobgc.ledger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static io.blobgc.ledger.LedgerFixture.h;
import static io.blobgc.ledger.LedgerFixture.hashes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Remote edges, exports and {@link Ledger#protect} (partitions.md §1, §2 and §5 step 3): the ledgers of P = 2
 * partitions wired by hand — each flush's reports delivered to their targets, each frontier's {@code Protect} to its
 * owner — as the partitioned driver of step 4 will. Partition A (0) owns the hashes {@link #inA}, B (1) those
 * {@link #inB}: {@link Partitioning} splits by the hash's top bit.
 */
class CrossPartitionLedgerTest {

    private static final Partitioning P2 = Partitioning.of(2);
    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(0);
    private static final String FROM_A = "partition:0", FROM_B = "partition:1";

    private final LedgerFixture a = partition(0), b = partition(1);

    private static LedgerFixture partition(int p) {
        LedgerFixture f = new LedgerFixture(new Ledger(SETTINGS, 64, P2, p));
        f.ledger.partitionUp(p == 0 ? FROM_B : FROM_A, f.now);
        return f;
    }

    /**
     * What a new coordinator instance does before it sends anything: begins its warm-up (views soft, rebuilt from
     * FULLs), then writes its takeover — a new generation, the incarnation of its exports.
     */
    private static void takeOver(LedgerFixture f) {
        f.ledger.beginWarmUp(null, f.now);
        f.ledger.applyTookOver("instance-" + (f.ledger.generation() + 1), 30_000);
    }

    /** A hash partition A owns. */
    private static BlobHash inA(int i) {
        BlobHash x = h(i);
        assertEquals(0, P2.partitionOf(x));
        return x;
    }

    /** A hash partition B owns. */
    private static BlobHash inB(int i) {
        BlobHash x = h(0x80 + i);
        assertEquals(1, P2.partitionOf(x));
        return x;
    }

    /** Flushes {@code from}'s exports and delivers each report to its target (all applied); the report to the other. */
    private NodeReport flush(LedgerFixture from) {
        Map<Integer, NodeReport> out = from.ledger.exports();
        assertEquals(Set.of(1 - from.ledger.partition()), out.keySet());
        NodeReport r = out.values().iterator().next();
        LedgerFixture to = from == a ? b : a;
        assertEquals(ReportOutcome.APPLIED, to.ledger.report(r, to.now));
        return r;
    }

    /** {@code Protect} of {@code owner}'s entry of {@code asker}'s frontier below {@code hashes}, asked of the owner. */
    private static ProtectOutcome protectBelow(LedgerFixture asker, LedgerFixture owner, BlobHash... hashes) {
        List<ProtectOutcome.Frontier> frontier = asker.ledger.frontier(List.of(hashes));
        assertEquals(1, frontier.size(), "one owner: " + frontier);
        ProtectOutcome.Frontier f = frontier.get(0);
        assertEquals(owner.ledger.partition(), f.partition());
        return owner.ledger.protect(asker.ledger.exportReporter(), f.incarnation(), f.seqTo(), f.hashes(), true,
                owner.now);
    }

    @Test
    void theExportFollowsHoldsThroughLocalChains() {
        BlobHash r = inA(1), x = inA(2), c = inB(1);
        b.register(c);
        a.registerWithDeps(x, c); // x -> c: a remote edge
        a.register(r);
        NodeReport first = flush(a);
        assertEquals(NodeReport.Kind.FULL, first.kind());
        assertEquals(1, first.seq());
        assertEquals(FROM_A, first.node());
        assertTrue(first.activeAdded().isEmpty(), "nothing is held in A");
        assertFalse(b.ledger.isProtected(c));

        a.full("n1", r); // r is held, but does not reach x yet
        NodeReport second = flush(a);
        assertEquals(NodeReport.Kind.DELTA, second.kind());
        assertEquals(2, second.seq());
        assertTrue(second.activeAdded().isEmpty());

        a.registerWithDeps(r, x); // now r -> x -> c: c is below a held blob
        NodeReport third = flush(a);
        assertEquals(List.of(c), third.activeAdded());
        assertEquals(Set.of(c), a.ledger.exportedTo(1));
        assertTrue(b.ledger.isProtected(c), "B holds what A exports");
        assertEquals(List.of(FROM_A), b.ledger.info(c).orElseThrow().referencedBy());

        assertTrue(flush(a).activeAdded().isEmpty(), "nothing changed: an empty DELTA (the heartbeat)");

        a.delta("n1", List.of(), List.of(r)); // dropped
        NodeReport dropped = flush(a);
        assertEquals(List.of(c), dropped.activeRemoved());
        assertFalse(b.ledger.isProtected(c));
        assertEquals(Set.of(), a.ledger.exportedTo(1));

        a.pin(r, "op"); // an operator pin holds r too
        assertEquals(List.of(c), flush(a).activeAdded());
        a.unpin(r, "op");
        assertEquals(List.of(c), flush(a).activeRemoved());
        assertFalse(b.ledger.isProtected(c));
    }

    @Test
    void aChainThatCrossesBackConvergesOneFlushAHop() {
        BlobHash x = inA(1), c = inB(1), y = inA(2);
        a.register(y);
        b.registerWithDeps(c, y); // c (B) -> y (A)
        a.registerWithDeps(x, c); // x (A) -> c (B)
        flush(a);
        flush(b);
        a.full("n1", x);
        flush(a); // A exports c: c is held in B now
        assertTrue(b.ledger.isProtected(c));
        assertFalse(a.ledger.isProtected(y), "one hop per flush: B has not flushed");
        assertEquals(List.of(y), flush(b).activeAdded());
        assertTrue(a.ledger.isProtected(y));
        a.delta("n1", List.of(), List.of(x));
        flush(a);
        assertEquals(List.of(y), flush(b).activeRemoved());
        assertFalse(a.ledger.isProtected(y));
    }

    @Test
    void aReportBuiltBeforeAProtectCannotDropItsSticky() {
        BlobHash x = inA(1), c = inB(1);
        b.register(c);
        a.registerWithDeps(x, c);
        a.full("n1"); // seq 1
        NodeReport before = a.ledger.exports().get(1); // FULL, seq 1: nothing held; delivered after the Protect
        assertEquals(AcquireOutcome.ACQUIRED, a.ledger.acquire("n1", 1, 1, x, a.now));
        List<ProtectOutcome.Frontier> frontier = a.ledger.frontier(List.of(x));
        assertEquals(List.of(new ProtectOutcome.Frontier(1, a.ledger.generation(), 1, List.of(c))), frontier,
                "the frontier names A's last seq sent to B, read when x was recorded");
        ProtectOutcome o = b.ledger.protect(FROM_A, frontier.get(0).incarnation(), frontier.get(0).seqTo(),
                List.of(c), true, b.now);
        assertEquals(List.of(c), o.recorded());
        assertTrue(o.gone().isEmpty() && o.stale().isEmpty());
        assertTrue(b.ledger.isProtected(c));

        assertEquals(ReportOutcome.APPLIED, b.ledger.report(before, b.now));
        assertTrue(b.ledger.isProtected(c), "a report built before the Protect dropped its sticky");

        // n1 lets go of x before A flushes again: A's next report, built after the Protect, drops c
        a.delta("n1", List.of(), List.of(x));
        NodeReport after = flush(a);
        assertEquals(2, after.seq());
        assertEquals(List.of(c), after.activeRemoved(), "c was asked: the next report lists it, exported or removed");
        assertFalse(b.ledger.isProtected(c), "a later report covers the sticky");

        // a duplicate of the Protect, delivered late: stale, and nothing is held again
        ProtectOutcome late = b.ledger.protect(FROM_A, frontier.get(0).incarnation(), frontier.get(0).seqTo(),
                List.of(c), true, b.now);
        assertEquals(List.of(c), late.stale());
        assertTrue(late.recorded().isEmpty());
        assertFalse(b.ledger.isProtected(c));
    }

    @Test
    void aStickyStaysUntilASettledReportFromThatPartitionCoversIt() {
        BlobHash x = inA(1), c = inB(1);
        b.register(c);
        a.registerWithDeps(x, c);
        a.ledger.beginWarmUp(List.of("n1"), a.now); // A recovered: its exports are provisional until its warm-up ends
        NodeReport before = a.ledger.exports().get(1);
        assertFalse(before.settled());
        a.full("n1"); // seq 1
        assertEquals(AcquireOutcome.ACQUIRED, a.ledger.acquire("n1", 1, 1, x, a.now));
        ProtectOutcome o = protectBelow(a, b, x);
        assertEquals(List.of(c), o.recorded());
        assertEquals(ReportOutcome.APPLIED, b.ledger.report(before, b.now));
        assertTrue(b.ledger.isProtected(c));

        a.delta("n1", List.of(), List.of(x));
        NodeReport provisional = flush(a); // built after the Protect, but provisional: add-only in B
        assertFalse(provisional.settled());
        assertEquals(List.of(c), provisional.activeRemoved());
        assertTrue(b.ledger.isProtected(c), "a provisional report dropped a sticky");

        flush(b); // B's settled FULL: A's last warm-up input
        assertFalse(a.ledger.warmingUp());
        NodeReport settled = flush(a);
        assertTrue(settled.settled());
        assertEquals(NodeReport.Kind.FULL, settled.kind(), "the first settled report after provisional ones");
        assertEquals(List.of(), settled.activeAdded());
        assertFalse(b.ledger.isProtected(c), "a settled report after the Protect covers the sticky");
    }

    @Test
    void aCalleeRecordedByProtectIsNeverChosenByPlanDeletion() {
        BlobHash x = inA(1), c = inB(1);
        b.register(c);
        a.registerWithDeps(x, c);
        a.full("n1");
        b.full("m1");
        flush(a);
        assertEquals(List.of(c), b.cycle().unreferenced());
        b.heartbeat("m1");
        flush(a);
        assertEquals(List.of(c), hashes(b.cycle().marked()));
        b.heartbeat("m1");
        flush(a);
        assertEquals(List.of(c), b.ledger.planDeletion(10), "confirmed absent by m1 and by A");

        assertEquals(AcquireOutcome.ACQUIRED, a.ledger.acquire("n1", 1, 1, x, a.now));
        ProtectOutcome o = protectBelow(a, b, x);
        assertEquals(List.of(c), o.recorded());
        assertEquals(List.of(c), o.inGrace(), "a use of a marked blob: the coordinator persists it as used");
        assertTrue(b.ledger.planDeletion(10).isEmpty(), "a recorded callee was chosen for deletion");
        b.ledger.applyUsed(o.inGrace());
        assertEquals(BlobStatus.ACTIVE, b.status(c));

        b.heartbeat("m1");
        assertEquals(List.of(c), flush(a).activeAdded()); // covers the sticky, and lists c
        assertTrue(b.ledger.planDeletion(10).isEmpty());
        b.cycle();
        assertEquals(BlobStatus.ACTIVE, b.status(c));
        assertTrue(b.ledger.planDeletion(10).isEmpty());
    }

    @Test
    void aCalleeThatIsGoneOrUnknownOrNotOwnedAnswersGone() {
        BlobHash c = inB(1), d = inB(2), e = inB(3), f = inB(4), unknown = inB(9), notB = inA(1);
        b.registerWithDeps(c, d); // c -> d, both in B
        b.register(e, f);
        b.full("m1");
        flush(a);
        b.cycle();
        b.heartbeat("m1");
        flush(a);
        assertEquals(4, b.cycle().marked().size(), "c, d, e and f");
        b.heartbeat("m1");
        flush(a);
        b.ledger.applyDeletionStarted(List.of(d, e), b.now); // d and e DELETING
        b.ledger.applyCollected(List.of(e), b.now); // e COLLECTED
        assertEquals(BlobStatus.DELETING, b.status(d));
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, b.status(c));

        ProtectOutcome o = b.ledger.protect(FROM_A, a.ledger.generation(), 3, List.of(c, d, e, unknown, notB, f), true,
                b.now);
        assertEquals(List.of(c, d, e, unknown, notB), o.gone(),
                "c (d gone below it), d DELETING, e COLLECTED, unknown, and a hash B does not own");
        assertEquals(List.of(f), o.recorded());
        assertFalse(b.ledger.isProtected(d));
        assertFalse(b.ledger.isProtected(c), "a gone hash is not recorded");
        assertTrue(b.ledger.isProtected(f));
    }

    @Test
    void aProtectMakesItsAskersViewAPartitionViewThatMembershipNeverRemoves() {
        LedgerFixture fresh = new LedgerFixture(new Ledger(SETTINGS, 64, P2, 1)); // no partitionUp of A yet
        BlobHash c = inB(1);
        fresh.register(c);
        assertEquals(List.of(c), fresh.ledger.protect(FROM_A, 0, 0, List.of(c), false, fresh.now).recorded());
        fresh.ledger.memberRemoved(FROM_A, fresh.now); // a member by that name, say: never a partition's view
        assertTrue(fresh.ledger.isProtected(c), "the sticky went with a node view of the same name");
        assertEquals(ReportOutcome.MALFORMED,
                fresh.ledger.report(NodeReport.full(FROM_A, 0, 1, List.of(c), List.of(c)), fresh.now),
                "a partition's report with pins is malformed: the view is a partition's");
    }

    @Test
    void aHashThisPartitionDoesNotOwnIsNeverAddedToItsTable() {
        BlobHash x = inA(1), c = inB(1);
        a.registerWithDeps(x, c);
        assertEquals(1, a.ledger.knownBlobs());
        assertTrue(a.ledger.status(c).isEmpty(), "A registered B's hash");
        assertEquals(List.of(c), a.ledger.info(x).orElseThrow().dependencies(), "the remote edge is a dependency");
        a.register(c); // a registration of B's hash routed to A by mistake
        assertTrue(a.ledger.status(c).isEmpty());
        assertEquals(AcquireOutcome.UNKNOWN, a.ledger.acquire("n1", 1, 0, c, a.now));

        b.ledger.applyRegistered(List.of(new Registration(x, List.of(c))));
        assertTrue(b.ledger.status(x).isEmpty(), "B registered A's blob");
        assertEquals(Optional.of(BlobStatus.ACTIVE), b.ledger.status(c),
                "B registers its unknown callee of A's blob, as one ledger registers an unknown dependency");
        assertEquals(1, b.ledger.knownBlobs());
    }

    @Test
    void aRestoredPartitionSendsNoExportsBeforeItsOwnTakeover() {
        BlobHash x = inA(1), c = inB(1);
        a.registerWithDeps(x, c);
        a.pin(x, "op");
        a.ledger.applyTookOver("instance-1", 30_000);
        Ledger restored = Ledger.fromSnapshot(SETTINGS, a.ledger.snapshot(), P2, 0);
        assertThrows(IllegalStateException.class, restored::exports, "the predecessor's generation, seqs from 1");
        assertThrows(IllegalStateException.class, () -> restored.frontier(List.of(x)));
        assertThrows(IllegalStateException.class, () -> restored.protect(FROM_B, 1, 0, List.of(x), false, a.now));
        restored.applyTookOver("instance-2", 30_000); // replayed from the journal: still not this instance's
        assertThrows(IllegalStateException.class, restored::exports);
        restored.beginWarmUp(null, a.now);
        assertThrows(IllegalStateException.class, restored::exports, "warming up, but no takeover of its own yet");
        restored.applyTookOver("instance-3", 30_000);
        NodeReport first = restored.exports().get(1);
        assertEquals(3, first.incarnation(), "its own generation");
        assertEquals(NodeReport.Kind.FULL, first.kind());
        assertFalse(first.settled(), "provisional while it warms up");
        assertEquals(List.of(c), first.activeAdded());

        Ledger replayed = new Ledger(SETTINGS, 64, P2, 0); // no snapshot: a journal replayed from its first event
        replayed.applyTookOver("instance-1", 30_000);
        assertThrows(IllegalStateException.class, replayed::exports);
    }

    @Test
    void remoteEdgesSurviveASnapshotRoundTrip() throws Exception {
        BlobHash x = inA(1), y = inA(2), c = inB(1), d = inB(2);
        a.register(y);
        a.ledger.applyRegistered(List.of(new Registration(x, List.of(y, c, d))));
        LedgerSnapshot s = a.ledger.snapshot();
        assertEquals(List.of(new LedgerSnapshot.RemoteCallees(x, List.of(c, d))), s.remoteEdges());

        ObjectMapper cbor = new ObjectMapper(new CBORFactory());
        LedgerSnapshot read = cbor.readValue(cbor.writeValueAsBytes(s), LedgerSnapshot.class);
        assertEquals(s.remoteEdges(), read.remoteEdges());
        Ledger restored = Ledger.fromSnapshot(SETTINGS, read, P2, 0);
        LedgerFixture r = new LedgerFixture(restored);
        restored.partitionUp(FROM_B, r.now);
        takeOver(r);
        r.full("n1", x);
        NodeReport full = restored.exports().get(1);
        assertEquals(NodeReport.Kind.FULL, full.kind());
        assertEquals(Set.of(c, d), Set.copyOf(full.activeAdded()));
        assertEquals(2, restored.knownBlobs(), "x and y: never c or d");

        // a snapshot written before remote edges existed has none
        ObjectNode old = (ObjectNode) cbor.readTree(cbor.writeValueAsBytes(s));
        old.remove("remoteEdges");
        assertEquals(List.of(), cbor.treeToValue(old, LedgerSnapshot.class).remoteEdges());
    }

    @Test
    void anOperatorPinnedCallerRestoredFromASnapshotIsExportedByTheFirstFlush() {
        BlobHash x = inA(1), c = inB(1);
        a.registerWithDeps(x, c);
        a.pin(x, "op");
        Ledger restored = Ledger.fromSnapshot(SETTINGS, a.ledger.snapshot(), P2, 0);
        takeOver(new LedgerFixture(restored));
        assertEquals(List.of(c), restored.exports().get(1).activeAdded(),
                "the pin was restored without a hold change: the first flush recomputes every remote callee");
    }

    @Test
    void aResendFullOrANewGenerationSendsTheWholeExportAgain() {
        BlobHash x = inA(1), c = inB(1);
        b.register(c);
        a.registerWithDeps(x, c);
        a.full("n1", x);
        assertEquals(List.of(c), flush(a).activeAdded());
        assertEquals(NodeReport.Kind.DELTA, flush(a).kind());
        a.ledger.resendExportsFull(1, 1);
        NodeReport full = flush(a);
        assertEquals(NodeReport.Kind.FULL, full.kind());
        assertEquals(List.of(c), full.activeAdded());
        assertEquals(3, full.seq());

        takeOver(a);
        NodeReport next = flush(a);
        assertEquals(NodeReport.Kind.FULL, next.kind());
        assertEquals(a.ledger.generation(), next.incarnation());
        assertEquals(1, next.seq(), "a new incarnation starts its seqs again");
        assertTrue(b.ledger.isProtected(c));
    }

    @Test
    void atOnePartitionNothingIsExported() {
        Ledger one = new Ledger(SETTINGS);
        LedgerFixture f = new LedgerFixture(one);
        f.registerWithDeps(h(1), h(0x81));
        f.full("n1", h(1));
        assertEquals(2, one.knownBlobs(), "at P = 1 every hash is this partition's");
        assertEquals(Map.of(), one.exports());
        assertEquals(List.of(), one.frontier(List.of(h(1))));
    }
}
