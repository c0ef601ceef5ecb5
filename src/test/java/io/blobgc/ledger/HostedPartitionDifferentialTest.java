package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Four hosted ledgers ({@link PartitionedLedger#hosting}, one partition each) over a synchronous network
 * ({@link HostedPartitions}) against one {@link PartitionedLedger} of the four partitions (partitions-part2-plan S1.1):
 * every answer alike (acquires, reports, pin checks, registrations' checks, cycle outcomes, deletion batches), and
 * every cycle ends in the same statuses, blob infos, protection, closure queries, counts and nodes. Over {@link LedgerPropertyTest}'s
 * random histories, and over {@link PartitionedLedgerTest}'s chain through the four partitions, where the hops are
 * also checked recorded in the answering partition's view.
 */
class HostedPartitionDifferentialTest {

    private static final Partitioning P4 = Partitioning.of(4);
    private static final int HISTORIES = 50;

    @Test
    void fiftyRandomHistoriesEndEveryCycleAlikeHostedAndInOneLedger() {
        long cycles = 0, answers = 0;
        for (int seed = 1; seed <= HISTORIES; seed++) {
            Differential[] made = new Differential[1];
            LedgerPropertyTest.Run run = new LedgerPropertyTest.Run(seed, P4,
                    (settings, p) -> made[0] = new Differential(settings, p));
            try {
                run.go();
            } catch (AssertionError e) {
                fail("seed " + seed + ", step " + run.step + ": " + e.getMessage(), e);
            }
            cycles += made[0].cycles;
            answers += made[0].answers;
        }
        // the histories must reach the comparison: cycles with blobs in every state, and many answers
        assertTrue(cycles > HISTORIES * 50L, "only " + cycles + " cycles compared");
        assertTrue(answers > HISTORIES * 500L, "only " + answers + " answers compared");
    }

    // ==== The chain x (0) -> c (1) -> d (2) -> e (3), as in PartitionedLedgerTest

    private final Differential ledger = new Differential(LedgerSettings.DEFAULTS.withGracePeriodMs(0), P4);
    private long now = 1_700_000_000_000L;
    private long seq;
    private final BlobHash x = PartitionedLedgerTest.in(0, 1), c = PartitionedLedgerTest.in(1, 1),
            d = PartitionedLedgerTest.in(2, 1), e = PartitionedLedgerTest.in(3, 1);

    private ReportOutcome report(BlobHash... active) {
        return ledger.report(NodeReport.full("n1", 1, ++seq, List.of(active), List.of()), now);
    }

    private void cycle() {
        now += 1_000;
        ledger.cycle(now, now, false);
    }

    /** Nobody uses the chain: it is marked, every blob in its own partition. */
    private void markTheChain() {
        ledger.applyRegistered(List.of(Registration.of(e), new Registration(d, List.of(e)),
                new Registration(c, List.of(d)), new Registration(x, List.of(c))));
        ledger.memberUp("n1", now);
        for (int i = 0; i < 3; i++) {
            report();
            cycle();
        }
        for (BlobHash b : List.of(x, c, d, e)) {
            assertEquals(Optional.of(BlobStatus.MARKED_FOR_COLLECTION), ledger.status(b), b.shortHex());
        }
    }

    @Test
    void anAcquireRecordsEveryHopInTheAnsweringPartitionsViewHostedAsInOneLedger() {
        markTheChain();
        assertEquals(AcquireOutcome.ACQUIRED, ledger.acquire("n1", 1, seq, x, now));
        ledger.compare("after the acquire");
        for (BlobHash b : List.of(x, c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + ", before any export");
        assertEquals(List.of(), ledger.planDeletion(100), "no blob of the chain goes to the sweeper");
        // each hop is recorded in the view of the partition whose exports will list it: 0's export of c covers the
        // sticky on c, and must not drop those on d and e, which 1's and 2's exports list
        ledger.flushOnly(0, now);
        for (BlobHash b : List.of(c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + " after 0's export alone");
        ledger.flushOnly(3, now);
        ledger.flushOnly(1, now);
        assertTrue(ledger.isProtected(e), "after 1's export: d is exported by 2, which has not flushed");
        cycle();
        for (BlobHash b : List.of(x, c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + ", exported");
        report(); // n1 no longer uses x
        cycle();
        for (BlobHash b : List.of(x, c, d, e)) assertFalse(ledger.isProtected(b), b.shortHex() + ", released");
        ledger.planDeletion(100);
    }

    @Test
    void aGoneRemoteCalleeMakesTheAcquireAndThePinGoneHostedAsInOneLedger() {
        markTheChain();
        assertTrue(ledger.planDeletion(100).contains(d), "d may go now");
        ledger.applyDeletionStarted(List.of(d), now);
        assertEquals(AcquireOutcome.GONE, ledger.acquire("n1", 1, seq, x, now));
        Optional<Refusal> refusal = ledger.checkPin(c, now);
        assertEquals(Refusal.Kind.CONFLICT, refusal.orElseThrow().kind());
        assertTrue(refusal.get().message().contains(d.toString()), refusal.get().message());
        ledger.compare("after the refusals");
    }

    @Test
    void anOperatorPinAndAReportedHoldFenceTheirRemoteClosureHostedAsInOneLedger() {
        markTheChain();
        assertEquals(Optional.empty(), ledger.checkPin(x, now));
        for (BlobHash b : List.of(c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + ", before the pin's event");
        ledger.applyPinned(x, new Pin("ops", "test", now, null));
        cycle();
        cycle();
        ledger.applyUnpinned(x, "ops");
        cycle();
        for (BlobHash b : List.of(x, c, d, e)) assertFalse(ledger.isProtected(b), b.shortHex() + ", unpinned");
        // a hold that arrives by a report alone (a chunked FULL) is fenced like an acquire
        NodeReport chunk0 = new NodeReport("n1", 1, ++seq, NodeReport.Kind.FULL, List.of(d), List.of(), List.of(),
                List.of(), 0, 2);
        NodeReport chunk1 = new NodeReport("n1", 1, seq, NodeReport.Kind.FULL, List.of(x), List.of(), List.of(),
                List.of(), 1, 2);
        assertEquals(ReportOutcome.CHUNK_BUFFERED, ledger.report(chunk0, now));
        assertEquals(ReportOutcome.APPLIED, ledger.report(chunk1, now));
        for (BlobHash b : List.of(x, c, d, e)) assertTrue(ledger.isProtected(b), b.shortHex() + ", held by report");
        cycle();
    }

    @Test
    void aHostedLedgerAnswersForItsOwnPartitionsAndRefusesWhatNeedsThemAll() {
        PartitionedLedger one = PartitionedLedger.hosting(LedgerSettings.DEFAULTS, 64, P4, 1);
        one.applyRegistered(List.of(Registration.of(e), new Registration(d, List.of(e)),
                new Registration(c, List.of(d)), new Registration(x, List.of(c))));
        assertEquals(1, one.knownBlobs(), "c alone: the others are other partitions'");
        assertEquals(Optional.of(BlobStatus.ACTIVE), one.status(c));
        assertEquals(Optional.empty(), one.status(x), "x is not here");
        assertFalse(one.isProtected(d), "d is not here");
        assertEquals(java.util.Set.of(d), one.remoteCalleesBelow(c));
        assertTrue(one.hosts(1) && !one.hosts(0));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> one.applyPinned(x, new Pin("ops", "test", now, null)));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> one.acquire("n1", 1, 0, c, now));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> one.checkPin(c, now));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> one.goneInClosure(c));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> one.exchangeExports(now));
        assertEquals(1, one.planCycle(now, now, false).size(), "one outcome: its own partition's");
    }

    /**
     * One {@link PartitionedLedger} of every partition and the hosted ones ({@link HostedPartitions}) driven alike:
     * each answer compared, the reference's returned; every cycle ends with {@link #compare}.
     */
    static final class Differential implements LedgerUnderTest {
        final PartitionedLedger reference;
        final HostedPartitions hosted;
        private final LedgerUnderTest whole;
        /** Every hash registered so far, or named as a callee: what {@link #compare} compares. */
        private final Set<BlobHash> known = new LinkedHashSet<>();
        long cycles, answers;

        Differential(LedgerSettings settings, Partitioning partitioning) {
            reference = new PartitionedLedger(settings, 1024, partitioning);
            hosted = new HostedPartitions(settings, 1024, partitioning);
            whole = LedgerUnderTest.of(reference);
        }

        private <T> T same(String what, T expected, T actual) {
            answers++;
            assertEquals(expected, actual, what + ": hosted and one ledger answer differently");
            return expected;
        }

        /** Every known blob's status, info, protection and closure queries, and the counts: alike. */
        void compare(String when) {
            for (BlobHash h : known) {
                same(when + ", status of " + h.shortHex(), reference.status(h), hosted.status(h));
                same(when + ", info of " + h.shortHex(), reference.info(h), hosted.info(h));
                same(when + ", protection of " + h.shortHex(), reference.isProtected(h), hosted.isProtected(h));
                same(when + ", gone below " + h.shortHex(), reference.goneInClosure(h), hosted.goneInClosure(h));
                same(when + ", content below " + h.shortHex(), reference.hasContentInClosure(h),
                        hosted.hasContentInClosure(h));
                same(when + ", in grace below " + h.shortHex(), reference.waitingOutGrace(h),
                        hosted.waitingOutGrace(List.of(h)));
            }
            same(when + ", in grace below all", reference.waitingOutGrace(known), hosted.waitingOutGrace(known));
            same(when + ", counts", reference.counts(), hosted.counts());
        }

        boolean isProtected(BlobHash hash) {
            return same("isProtected " + hash.shortHex(), reference.isProtected(hash), hosted.isProtected(hash));
        }

        void flushOnly(int p, long now) {
            List<ReportOutcome> expected = new java.util.ArrayList<>();
            for (PartitionedLedger.Export e : reference.flushExports(p, now)) expected.add(reference.deliverExport(e, now));
            same("partition " + p + "'s exports delivered", expected, hosted.flushOnly(p, now));
            compare("after partition " + p + "'s exports");
        }

        @Override
        public void memberUp(String node, long now) {
            whole.memberUp(node, now);
            hosted.memberUp(node, now);
        }

        @Override
        public void memberRemoved(String node, long now) {
            whole.memberRemoved(node, now);
            hosted.memberRemoved(node, now);
        }

        @Override
        public List<BlobHash> checkRegister(Collection<BlobHash> candidates) {
            return same("checkRegister " + candidates.size(), whole.checkRegister(candidates),
                    hosted.checkRegister(candidates));
        }

        @Override
        public void applyRegistered(Collection<Registration> registrations) {
            for (Registration r : registrations) {
                known.add(r.hash());
                known.addAll(r.dependencies());
            }
            whole.applyRegistered(registrations);
            hosted.applyRegistered(registrations);
        }

        @Override
        public AcquireOutcome acquire(String node, long incarnation, long afterSeq, BlobHash hash, long now) {
            return same("acquire " + hash.shortHex() + " by " + node, whole.acquire(node, incarnation, afterSeq, hash, now),
                    hosted.acquire(node, incarnation, afterSeq, hash, now));
        }

        @Override
        public ReportOutcome report(NodeReport r, long now) {
            return same("report " + r.node() + " seq " + r.seq(), whole.report(r, now), hosted.report(r, now));
        }

        @Override
        public Optional<Refusal> checkPin(BlobHash hash, long now) {
            return same("checkPin " + hash.shortHex(), whole.checkPin(hash, now), hosted.checkPin(hash, now));
        }

        @Override
        public void applyPinned(BlobHash hash, Pin pin) {
            whole.applyPinned(hash, pin);
            hosted.applyPinned(hash, pin);
        }

        @Override
        public void applyUnpinned(BlobHash hash, String owner) {
            whole.applyUnpinned(hash, owner);
            hosted.applyUnpinned(hash, owner);
        }

        @Override
        public List<CycleOutcome> cycle(long now, long localNow, boolean dryRun) {
            cycles++;
            List<CycleOutcome> out = same("cycle " + cycles + " outcomes", whole.cycle(now, localNow, dryRun),
                    hosted.cycle(now, localNow, dryRun));
            compare("after cycle " + cycles);
            same("after cycle " + cycles + ", nodes", whole.nodes(localNow), hosted.nodes(localNow));
            return out;
        }

        @Override
        public List<BlobHash> planDeletion(int max) {
            return same("planDeletion", whole.planDeletion(max), hosted.planDeletion(max));
        }

        @Override
        public void applyDeletionStarted(Collection<BlobHash> hashes, long at) {
            whole.applyDeletionStarted(hashes, at);
            hosted.applyDeletionStarted(hashes, at);
        }

        @Override
        public List<BlobHash> deleting(int max) {
            return same("deleting", whole.deleting(max), hosted.deleting(max));
        }

        @Override
        public void applyCollected(Collection<BlobHash> hashes, long at, long bytes) {
            whole.applyCollected(hashes, at, bytes);
            hosted.applyCollected(hashes, at, bytes);
        }

        @Override
        public List<NodeInfo> nodes(long now) {
            return same("nodes", whole.nodes(now), hosted.nodes(now));
        }

        @Override
        public Optional<BlobInfo> info(BlobHash hash) {
            return same("info " + hash.shortHex(), whole.info(hash), hosted.info(hash));
        }

        @Override
        public Optional<BlobStatus> status(BlobHash hash) {
            return same("status " + hash.shortHex(), whole.status(hash), hosted.status(hash));
        }
    }
}
