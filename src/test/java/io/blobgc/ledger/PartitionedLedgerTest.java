package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.blobgc.ledger.LedgerFixture.h;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link PartitionedLedger} at P = 4 (partitions.md §5, step 4): a chain of dependencies through every partition,
 * {@code x (0) -> c (1) -> d (2) -> e (3)}, and what the fence and the exports make of it.
 */
class PartitionedLedgerTest {

    private static final Partitioning P4 = Partitioning.of(4);
    private final PartitionedLedger ledger = new PartitionedLedger(LedgerSettings.DEFAULTS.withGracePeriodMs(0), 64, P4);
    private long now = 1_700_000_000_000L;
    private long seq;

    private final BlobHash x = in(0, 1), c = in(1, 1), d = in(2, 1), e = in(3, 1);

    /** A hash partition {@code p} owns (of four): its first byte's top two bits are {@code p}. */
    static BlobHash in(int p, int i) {
        BlobHash hash = h(p << 6 | i);
        assertEquals(p, P4.partitionOf(hash));
        return hash;
    }

    private void registerTheChain() {
        ledger.applyRegistered(List.of(Registration.of(e), new Registration(d, List.of(e)),
                new Registration(c, List.of(d)), new Registration(x, List.of(c))));
    }

    private ReportOutcome report(BlobHash... active) {
        return ledger.report(NodeReport.full("n1", 1, ++seq, List.of(active), List.of()), now);
    }

    /** A cycle as the coordinator runs it: every partition plans, the outcomes are applied, the exports exchanged. */
    private List<CycleOutcome> cycle() {
        now += 1_000;
        List<CycleOutcome> outcomes = ledger.planCycle(now, now, false);
        ledger.applyCycle(outcomes);
        ledger.exchangeExports(now);
        return outcomes;
    }

    /** Nobody uses the chain: it is marked, every blob in its own partition. */
    private void markTheChain() {
        registerTheChain();
        ledger.memberUp("n1", now);
        for (int i = 0; i < 3; i++) {
            report(); // n1 confirms what it does not use
            cycle();
        }
        for (BlobHash b : List.of(x, c, d, e)) {
            assertEquals(Optional.of(BlobStatus.MARKED_FOR_COLLECTION), ledger.status(b), b.shortHex());
        }
    }

    @Test
    void aNodeThatAcquiredBeforeItsFirstReportIsListedWhicheverPartitionKnowsIt() { // review of the actor at P > 1
        registerTheChain();
        assertEquals(AcquireOutcome.ACQUIRED, ledger.acquire("n2", 1, 0, c, now)); // c is partition 1's
        NodeInfo n2 = ledger.nodes(now).stream().filter(n -> n.node().equals("n2")).findFirst()
                .orElseThrow(() -> new AssertionError("n2 is not listed: " + ledger.nodes(now)));
        assertEquals(1, n2.active());
    }

    /** Flushes partition {@code p}'s exports alone and delivers them: what a network may do between two others. */
    private void flushOnly(int p) {
        for (Map.Entry<Integer, NodeReport> r : ledger.partition(p).exports().entrySet()) {
            assertEquals(ReportOutcome.APPLIED, ledger.partition(r.getKey()).report(r.getValue(), now));
        }
    }

    @Test
    void anAcquireRecordsEveryRemoteCalleeBeforeAcquired() {
        markTheChain();
        assertEquals(AcquireOutcome.ACQUIRED, ledger.acquire("n1", 1, seq, x, now));
        for (BlobHash b : List.of(x, c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + ", before any export");
        assertEquals(List.of(), ledger.planDeletion(100), "no blob of the chain goes to the sweeper");

        // each hop is recorded in the view of the partition whose exports will list it: x's export of c covers the
        // sticky on c, and must not drop those on d and e, which c's and d's partitions export
        flushOnly(0);
        for (BlobHash b : List.of(c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + " after 0's export alone");
        flushOnly(3);
        flushOnly(1);
        assertTrue(ledger.isProtected(e), "after 1's export: d is exported by 2, which has not flushed");
        cycle();
        for (BlobHash b : List.of(x, c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + ", exported");
        assertEquals(List.of(), ledger.planDeletion(100));

        report(); // n1 no longer uses x
        cycle();
        for (BlobHash b : List.of(x, c, d, e)) assertFalse(ledger.isProtected(b), b.shortHex() + ", released");
    }

    @Test
    void aGoneRemoteCalleeMakesTheAcquireAndThePinGone() {
        markTheChain();
        List<BlobHash> batch = ledger.planDeletion(100);
        assertTrue(batch.contains(d), "d may go now");
        ledger.applyDeletionStarted(List.of(d), now);
        assertEquals(List.of(d), ledger.goneInClosure(x));
        assertEquals(List.of(), ledger.goneInClosure(e));
        assertFalse(ledger.hasContentInClosure(c));
        assertEquals(AcquireOutcome.GONE, ledger.acquire("n1", 1, seq, x, now));
        Optional<Refusal> refusal = ledger.checkPin(c, now);
        assertEquals(Refusal.Kind.CONFLICT, refusal.orElseThrow().kind());
        assertTrue(refusal.get().message().contains(d.toString()), refusal.get().message());
    }

    @Test
    void anOperatorPinRecordsItsRemoteClosureBeforeItIsApplied() {
        markTheChain();
        assertEquals(Optional.empty(), ledger.checkPin(x, now));
        for (BlobHash b : List.of(c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + ", before the pin's event");
        ledger.applyPinned(x, new Pin("ops", "test", now, null));
        cycle();
        cycle();
        for (BlobHash b : List.of(x, c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + ", pinned");
        ledger.applyUnpinned(x, "ops");
        cycle();
        for (BlobHash b : List.of(x, c, d, e)) assertFalse(ledger.isProtected(b), b.shortHex() + ", unpinned");
    }

    /**
     * The chain, and one against the partitions' order ({@code 3 -> 2 -> 1 -> 0}), which an exchange — each partition
     * flushing in turn — carries only one hop further each round.
     */
    @Test
    void partitionsThatRecoverTogetherDecideNothingUntilTheyHaveSettled() {
        BlobHash rx = in(3, 2), rc = in(2, 2), rd = in(1, 2), re = in(0, 2);
        ledger.applyRegistered(List.of(Registration.of(re), new Registration(rd, List.of(re)),
                new Registration(rc, List.of(rd)), new Registration(rx, List.of(rc))));
        markTheChain();
        List<BlobHash> both = List.of(x, c, d, e, rx, rc, rd, re);
        assertEquals(AcquireOutcome.ACQUIRED, ledger.acquire("n1", 1, seq, x, now));
        assertEquals(AcquireOutcome.ACQUIRED, ledger.acquire("n1", 1, seq, rx, now));
        report(x, rx);
        cycle();
        for (BlobHash b : both) assertEquals(Optional.of(BlobStatus.ACTIVE), ledger.status(b), b.shortHex());

        PartitionedLedger recovered = PartitionedLedger.fromSnapshots(LedgerSettings.DEFAULTS.withGracePeriodMs(0),
                ledger.snapshots(), P4);
        recovered.beginWarmUp(List.of("n1"), now);
        recovered.applyTookOver("instance-2", 30_000); // this instance's own takeover, after its warm-up began
        now += 1_000;
        List<CycleOutcome> warming = recovered.planCycle(now, now, false);
        recovered.applyCycle(warming);
        recovered.exchangeExports(now);
        assertTrue(warming.stream().allMatch(CycleOutcome::warmingUp), "every partition waits for n1's FULL");
        assertTrue(recovered.warmingUp());
        assertTrue(recovered.warmUpBlockers().contains("n1"), recovered.warmUpBlockers().toString());

        assertEquals(ReportOutcome.APPLIED, recovered.report(NodeReport.full("n1", 1, ++seq, List.of(x, rx), List.of()),
                now));
        assertFalse(recovered.warmingUp(), "every node's FULL is in: the partitions settled together");
        for (BlobHash b : List.of(c, d, e, rc, rd, re)) {
            assertTrue(recovered.isProtected(b), b.shortHex() + ": the settled exports hold x's whole closure");
        }
        for (int i = 0; i < 3; i++) {
            now += 1_000;
            List<CycleOutcome> outcomes = recovered.planCycle(now, now, false);
            recovered.applyCycle(outcomes);
            recovered.exchangeExports(now);
            recovered.report(NodeReport.delta("n1", 1, ++seq, List.of(), List.of(), List.of(), List.of()), now);
        }
        for (BlobHash b : both) assertEquals(Optional.of(BlobStatus.ACTIVE), recovered.status(b), b.shortHex());
        assertEquals(List.of(), recovered.planDeletion(100));
    }

    @Test
    void aNodesReportIsSplitByOwnerWithItsOrder() {
        registerTheChain();
        ledger.memberUp("n1", now);
        List<BlobHash> all = List.of(x, c, d, e);
        NodeReport chunk0 = new NodeReport("n1", 1, 1, NodeReport.Kind.FULL, List.of(x, d), List.of(), List.of(),
                List.of(), 0, 2);
        NodeReport chunk1 = new NodeReport("n1", 1, 1, NodeReport.Kind.FULL, List.of(c, e), List.of(), List.of(),
                List.of(), 1, 2);
        assertEquals(ReportOutcome.CHUNK_BUFFERED, ledger.report(chunk0, now));
        assertEquals(ReportOutcome.APPLIED, ledger.report(chunk1, now));
        for (BlobHash b : all) assertTrue(ledger.info(b).orElseThrow().referencedBy().contains("n1"), b.shortHex());
        assertEquals(ReportOutcome.DUPLICATE_OR_OLD, ledger.report(chunk1, now));
        assertEquals(ReportOutcome.APPLIED, ledger.report(NodeReport.delta("n1", 1, 2, List.of(), List.of(c, e),
                List.of(), List.of()), now));
        assertFalse(ledger.info(c).orElseThrow().referencedBy().contains("n1"));
        assertTrue(ledger.info(c).orElseThrow().referencedBy().contains("partition:0"), "below x, which n1 holds");
        assertTrue(ledger.info(d).orElseThrow().referencedBy().contains("n1"));
        assertEquals(ReportOutcome.NEED_FULL, ledger.report(NodeReport.delta("n1", 1, 4, List.of(), List.of(x),
                List.of(), List.of()), now), "seq 3 was lost: every partition asks for a FULL");
        assertEquals(List.of("n1"), ledger.nodes(now).stream().map(NodeInfo::node).toList(),
                "the partitions' views of each other are no nodes");
        assertEquals(2, ledger.nodes(now).get(0).active(), "x and d, held in two partitions");
        assertEquals(4, ledger.knownBlobs());
    }
}
