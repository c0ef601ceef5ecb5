package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.blobgc.ledger.PartitionedLedgerTest.in;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Risk 1 of partitions-part2-plan §5 ("the report fence is weaker async"), decided in §8: four hosted ledgers (one
 * partition entity each) with the messages between them delivered in an adversarial order, as real messages may
 * arrive once a node's shares, the exports and the fence's {@code Protect}s travel separately (S1.4–S1.6).
 *
 * <p>A node n held x and was dropped (policy {@code drop}: silent past the stale threshold). x's remote closure went
 * unprotected and was marked. n comes back and sends its FULL, which lists x again: a hold that arrives by report
 * alone, with no acquire. Its shares reach the callee's owner before the caller's owner, and the callee's owner
 * confirms with exports built before the hold was applied — or applied but not yet fenced along the chain — and
 * hands the callee to the sweeper although n uses it through x. The report fence then finds it gone. In one JVM
 * ({@link InstantPartitions#report}) the shares and the fence are one step, and the same history deletes nothing
 * ({@code PartitionedLedgerReviewTest.aNodeBackFromADropReHoldsTheRemoteClosureBeforeAnyDeletion}).
 *
 * <p>Both tests failed before the closure (kept as a draft until S1.6). The first fails under any closure that leaves a
 * node's share free to confirm before the caller's owner took the same report; the second also under the plan's first
 * proposal, a watermark of the seq each partition <b>applied</b>: every partition applied n's FULL before it built the
 * export the callee's owner confirms with, and the hold still had not reached it, because the middle hop learns of it
 * only from the first hop's fence or export. The closure of §8 — a watermark of the FULLs each partition has
 * <b>fenced</b> ({@link PartitionedLedger#fullFenced}, carried by every export, {@link PartitionedLedger.Export#fenced})
 * — makes both pass: here a host's FULL is fenced only when the test, its driver, says its walk is done.
 * {@link ReportFenceCutTest} has the cut's units.
 */
class ReportFenceWindowTest {

    private static final Partitioning P4 = Partitioning.of(4);
    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(0)
            .withStaleThresholdMs(10_000).withStaleNodePolicy(StaleNodePolicy.DROP);

    private final PartitionedLedger[] hosts = new PartitionedLedger[P4.count()];
    /** The fence and the closure queries between the hosts, at once: the tests choose when to call it. */
    private final InstantPartitions net;
    private long now = 1_700_000_000_000L;
    private long ns, ms;

    ReportFenceWindowTest() {
        for (int p = 0; p < hosts.length; p++) hosts[p] = PartitionedLedger.hosting(SETTINGS, 64, P4, p);
        net = new InstantPartitions(P4, hosts);
    }

    private static NodeReport heartbeat(String node, long seq) {
        return NodeReport.delta(node, 1, seq, List.of(), List.of(), List.of(), List.of());
    }

    /** Every host plans and applies its cycle, then every partition flushes in turn, each export delivered at once. */
    private void cycle() {
        List<List<CycleOutcome>> each = new ArrayList<>();
        for (PartitionedLedger h : hosts) each.add(h.planCycle(now, now, false));
        for (int p = 0; p < hosts.length; p++) hosts[p].applyCycle(each.get(p));
        net.exchange(now);
    }

    /** Partition {@code p} flushes now; its exports to {@code to} are delivered at once, the others stay in flight. */
    private List<PartitionedLedger.Export> flush(int p, int... to) {
        List<PartitionedLedger.Export> inFlight = new ArrayList<>();
        for (PartitionedLedger.Export e : hosts[p].flushExports(p, now)) {
            boolean deliver = false;
            for (int t : to) deliver |= e.to() == t;
            if (deliver) {
                assertEquals(ReportOutcome.APPLIED, net.deliver(e, now), "export " + p + " -> " + e.to());
            } else {
                inFlight.add(e);
            }
        }
        return inFlight;
    }

    /**
     * n acquires {@code root} (the fence records its whole closure) and reports it; then n is silent, dropped by every
     * partition (m keeps the quorum), and {@code callee} — in {@code root}'s closure, in partition 1 — is marked. n's
     * next heartbeat is answered NEED_FULL by every partition: it was dropped. Returns n's FULL, which lists
     * {@code root} again: n still runs it.
     */
    private NodeReport heldThenDroppedThenBack(List<Registration> registrations, BlobHash root, BlobHash callee) {
        for (PartitionedLedger h : hosts) h.applyRegistered(registrations);
        for (PartitionedLedger h : hosts) {
            h.memberUp("n", now);
            h.memberUp("m", now);
        }
        net.report(NodeReport.full("n", 1, ++ns, List.of(), List.of()), now);
        net.report(NodeReport.full("m", 1, ++ms, List.of(), List.of()), now);
        assertEquals(AcquireOutcome.ACQUIRED, net.acquire("n", 1, ns, root, now));
        net.report(NodeReport.delta("n", 1, ++ns, List.of(root), List.of(), List.of(), List.of()), now);
        now += 1_000;
        cycle();
        assertTrue(hosts[1].isProtected(callee), "while n holds " + root.shortHex());
        for (int i = 0; i < 10; i++) { // n is silent: stale after 10 s, dropped everywhere; m keeps the quorum
            now += 3_000;
            net.report(heartbeat("m", ++ms), now);
            cycle();
        }
        assertEquals(Optional.of(BlobStatus.MARKED_FOR_COLLECTION), hosts[1].status(callee));
        assertEquals(ReportOutcome.NEED_FULL, net.report(heartbeat("n", ++ns), now), "n was dropped");
        return NodeReport.full("n", 1, ++ns, List.of(root), List.of());
    }

    /**
     * The window, one hop: x (partition 0, "A") -> c (partition 1, "B").
     * <ol>
     *   <li>n's FULL (seq s, lists x) reaches B: B's share is empty, applied and settled; n's view in B confirms;</li>
     *   <li>A flushes before n's share reaches it: its export to B, settled and still without c, confirms too (as do
     *       partitions 2 and 3, and m's heartbeat): every live view of B confirmed after c's mark;</li>
     *   <li>B's {@code planDeletion} (the second phase) hands c to the sweeper: {@code DeletionStarted(c)};</li>
     *   <li>n's share reaches A: x is held again, and the report fence's {@code Protect(c)} finds c gone.</li>
     * </ol>
     */
    @Test
    void aCalleeIsNotDeletedWhileTheCallersOwnerHasNotTakenTheNodesFull() {
        BlobHash x = in(0, 1), c = in(1, 2);
        NodeReport back = heldThenDroppedThenBack(List.of(new Registration(x, List.of(c)), Registration.of(c)), x, c);

        assertEquals(ReportOutcome.APPLIED, hosts[1].report(back, now), "n's share reaches B first");
        flush(0, 1, 2, 3); // A's export, built before n's share reached A
        flush(2, 0, 1, 3);
        flush(3, 0, 1, 2);
        net.report(heartbeat("m", ++ms), now);
        List<BlobHash> handed = hosts[1].planDeletion(100);
        if (handed.contains(c)) hosts[1].applyDeletionStarted(List.of(c), now);

        ReportOutcome atA = hosts[0].report(back, now); // n's share reaches A, which fences x's closure
        assertEquals(ReportOutcome.APPLIED, atA);
        assertTrue(hosts[0].isProtected(x), "n holds x again");
        FenceWalk fence = net.protectRemoteClosure(hosts[0].reportedHolds(back, atA), false, now);
        assertTrue(fence.done());
        hosts[0].fullFenced("n", 1, back.seq()); // A's walk is done: its exports say so from now on
        assertAll(
                () -> assertFalse(handed.contains(c), "B handed c to the sweeper while n uses x -> c: n's FULL had "
                        + "reached B, but A had not taken it (no cut of n's report in A's export)"),
                () -> assertEquals(List.of(), fence.gone(), "the report fence came after c's DeletionStarted"));
    }

    /**
     * The control (passes today): the same history with n's share and its fence at A before B decides — the order one
     * JVM always has — hands nothing out. So what the other two tests find is the order of the messages, and
     * the fix must make B wait for that order, not change what A or B decide once it holds.
     */
    @Test
    void controlTheSameHistoryWithTheFenceFirstDeletesNothing() {
        BlobHash x = in(0, 1), c = in(1, 2);
        NodeReport back = heldThenDroppedThenBack(List.of(new Registration(x, List.of(c)), Registration.of(c)), x, c);

        assertEquals(ReportOutcome.APPLIED, hosts[1].report(back, now));
        ReportOutcome atA = hosts[0].report(back, now);
        FenceWalk fence = net.protectRemoteClosure(hosts[0].reportedHolds(back, atA), false, now);
        assertEquals(List.of(), fence.gone());
        hosts[0].fullFenced("n", 1, back.seq());
        hosts[1].fullFenced("n", 1, back.seq());
        flush(0, 1, 2, 3);
        flush(2, 0, 1, 3);
        flush(3, 0, 1, 2);
        net.report(heartbeat("m", ++ms), now);
        assertFalse(hosts[1].planDeletion(100).contains(c), "c is below x, which n holds");
        assertTrue(hosts[1].isProtected(c));
    }

    /**
     * The window through a middle hop, which a watermark of the seq each partition <b>applied</b> does not close:
     * x (partition 2, "C") -> a (partition 0, "A") -> c (partition 1, "B").
     * <ol>
     *   <li>n's FULL (seq s, lists x) reaches B, A, partition 3 and C, in that order: every partition applied s;</li>
     *   <li>A flushes: its export to B, built after A applied s, does not list c — A learns that a is held only from
     *       C's fence ({@code Protect(a)}) or C's export, both still in flight;</li>
     *   <li>C flushes: its export to B (built after it applied s) arrives; the one to A stays in flight; partition 3
     *       flushes; m's heartbeat: every live view of B confirmed after c's mark, each export built after s;</li>
     *   <li>B hands c to the sweeper; C's report fence then finds c gone.</li>
     * </ol>
     */
    @Test
    void aCalleeTwoHopsBelowIsNotDeletedWhileTheMiddleHopHasNotLearnedOfTheHold() {
        BlobHash x = in(2, 1), a = in(0, 2), c = in(1, 3);
        NodeReport back = heldThenDroppedThenBack(List.of(new Registration(x, List.of(a)),
                new Registration(a, List.of(c)), Registration.of(c)), x, c);

        for (int p : new int[]{1, 0, 3, 2}) assertEquals(ReportOutcome.APPLIED, hosts[p].report(back, now));
        assertTrue(hosts[2].isProtected(x), "n holds x again in C");
        assertFalse(hosts[0].isProtected(a), "A has not heard that a is held: C's fence and export are in flight");
        flush(0, 1, 2, 3);
        List<PartitionedLedger.Export> toA = flush(2, 1, 3); // C's export to A (it lists a) is still in flight
        flush(3, 0, 1, 2);
        net.report(heartbeat("m", ++ms), now);
        List<BlobHash> handed = hosts[1].planDeletion(100);
        if (handed.contains(c)) hosts[1].applyDeletionStarted(List.of(c), now);

        FenceWalk fence = net.protectRemoteClosure(hosts[2].reportedHolds(back, ReportOutcome.APPLIED), false, now);
        for (PartitionedLedger.Export e : toA) net.deliver(e, now);
        for (PartitionedLedger h : hosts) h.fullFenced("n", 1, back.seq()); // every walk is done now (none but C's)
        assertAll(
                () -> assertFalse(handed.contains(c), "B handed c to the sweeper while n uses x -> a -> c: every "
                        + "partition had applied n's FULL, but C had not fenced it"),
                () -> assertEquals(List.of(), fence.gone(), "C's report fence came after c's DeletionStarted"));
    }
}
