package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.CycleOutcome;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import io.blobgc.node.ReporterCore;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adversarial interleavings of the coordinator's core, the ledger and the reporter's core, in one thread with
 * explicit time. Each test names what must hold; it failed on the code it was written against.
 */
class AdversarialCoreTest {

    /** The content of every hash is in the store (these tests are about the rules, not the store). */
    private static final Predicate<BlobHash> IN_STORE = h -> true;

    private static final long MIN = 60_000L;
    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(0);

    private long now = 1_700_000_000_000L;
    private PartitionedLedger ledger = new PartitionedLedger(SETTINGS);
    private final CoordinatorCore core = new CoordinatorCore(false);

    private static BlobHash h(String s) {
        return BlobHash.sha256(s.getBytes());
    }

    private <R> R run(CoordinatorCore.Decision<R> d) {
        return run(ledger, d);
    }

    private static <R> R run(PartitionedLedger l, CoordinatorCore.Decision<R> d) {
        d.events().forEach(e -> CoordinatorCore.apply(l, e));
        return d.reply().apply(l);
    }

    /** Carries out a reporter's SendReport outputs (in order) against the coordinator; returns the AskAcquires. */
    private List<ReporterCore.AskAcquire> deliver(List<ReporterCore.Output> outs) {
        for (ReporterCore.Output o : outs) {
            if (o instanceof ReporterCore.SendReport s) run(core.report(s.report(), now));
        }
        return outs.stream().filter(o -> o instanceof ReporterCore.AskAcquire)
                .map(o -> (ReporterCore.AskAcquire) o).toList();
    }

    private void register(BlobHash x, BlobHash... deps) {
        Registered r = run(core.register(ledger, List.of(new Registration(x, List.of(deps))), IN_STORE, now));
        assertEquals(List.of(x), r.accepted());
    }

    private void heartbeat(ReporterCore rc) {
        deliver(rc.report());
    }

    private BlobStatus status(BlobHash x) {
        return ledger.status(x).orElse(null);
    }

    /** n1 reports, a few cycles run: x, unused, is marked and fenced (DELETING). */
    private void driveToDeleting(ReporterCore rc, BlobHash x) {
        for (int i = 0; i < 4 && status(x) != BlobStatus.MARKED_FOR_COLLECTION; i++) {
            now += MIN;
            heartbeat(rc);
            run(core.cycle(ledger, false, now, now));
        }
        heartbeat(rc);
        assertEquals(BlobStatus.MARKED_FOR_COLLECTION, status(x));
        assertEquals(List.of(x), run(core.startDeletion(ledger, 10, now)));
        assertEquals(BlobStatus.DELETING, status(x));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 1: an acquire delivered after a later report of its node holds the blob for ever (liveness)
    // ---------------------------------------------------------------------------------------------------------

    /**
     * The reporter asks the fence for x after report 1; the ask times out, so the reporter sends a FULL report
     * (seq 2) without x — nobody on the node holds x. The slow Acquire(afterSeq = 1) reaches the coordinator only
     * now: it records x in n1's view. Every later report of n1 is a DELTA that never mentions x (the reporter never
     * held it), so x stays referenced for ever.
     */
    @Test
    void anAcquireDeliveredAfterALaterFullReportOfItsNodeDoesNotHoldTheBlobForever() {
        core.recovered(ledger, List.of("n1"), now);
        BlobHash x = h("x");
        register(x);
        ReporterCore rc = new ReporterCore("n1", 1, 100);
        heartbeat(rc); // FULL seq 1, empty
        List<ReporterCore.AskAcquire> asks = deliver(rc.acquire("frame", x, "caller"));
        assertEquals(1, asks.size());
        ReporterCore.AskAcquire ask = asks.get(0);
        // the ask times out on the node: UNAVAILABLE to the frame, and the next report is a FULL one
        rc.acquireFailed(ask.ask(), "ask timed out");
        heartbeat(rc); // FULL seq 2, without x
        // the delayed Acquire reaches the coordinator now
        AcquireReply late = run(core.acquire(ledger, "n1", rc.incarnation(), ask.afterSeq(), x, now, now));
        assertTrue(rc.acquireAnswered(ask.ask(), late).isEmpty(), "the node no longer waits for this answer");
        assertTrue(rc.view().active().isEmpty(), "nothing on n1 holds x");

        for (int i = 0; i < 10 && status(x) == BlobStatus.ACTIVE; i++) {
            now += 5 * MIN;
            heartbeat(rc);
            run(core.cycle(ledger, false, now, now));
        }
        assertNotEquals(BlobStatus.ACTIVE, status(x),
                "x is used by nobody, yet held for ever by an acquire n1 gave up on before its FULL report; view "
                        + ledger.info(x).orElseThrow().referencedBy());
    }

    /**
     * Same shape without a time-out: the Acquire is delivered twice (the design's simulation duplicates messages).
     * The first one is answered and x is held, released and withdrawn by DELTA seq 2; the duplicate arrives after it
     * and records x again, for ever.
     */
    @Test
    void aDuplicateAcquireDeliveredAfterTheReleaseDoesNotHoldTheBlobForever() {
        core.recovered(ledger, List.of("n1"), now);
        BlobHash x = h("x");
        register(x);
        ReporterCore rc = new ReporterCore("n1", 1, 100);
        heartbeat(rc); // FULL seq 1
        ReporterCore.AskAcquire ask = deliver(rc.acquire("frame", x, "caller")).get(0);
        AcquireReply first = run(core.acquire(ledger, "n1", rc.incarnation(), ask.afterSeq(), x, now, now));
        assertEquals(AcquireResult.ACQUIRED, first.result());
        rc.acquireAnswered(ask.ask(), first);
        rc.release("frame", x);
        heartbeat(rc); // DELTA seq 2: x removed
        assertTrue(ledger.info(x).orElseThrow().referencedBy().isEmpty());
        run(core.acquire(ledger, "n1", rc.incarnation(), ask.afterSeq(), x, now, now)); // the duplicate

        for (int i = 0; i < 10 && status(x) == BlobStatus.ACTIVE; i++) {
            now += 5 * MIN;
            heartbeat(rc);
            run(core.cycle(ledger, false, now, now));
        }
        assertNotEquals(BlobStatus.ACTIVE, status(x),
                "x is used by nobody, yet held for ever by a duplicate acquire; view "
                        + ledger.info(x).orElseThrow().referencedBy());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 2: a registration brings a collected callee back to ACTIVE with no content; ACQUIRED on it
    // ---------------------------------------------------------------------------------------------------------

    /**
     * c is collected and its tombstone pruned (24 h). An upload of p declares c as its callee (upload stores only
     * p's content). The registration registers c anew as ACTIVE although its content left the store, and an
     * acquire of p — whose holder uses c too — is answered ACQUIRED.
     */
    @Test
    void anAcquireIsNeverAnsweredAcquiredWhenACalleesContentLeftTheStore() {
        core.recovered(ledger, List.of("n1"), now);
        BlobHash c = h("callee"), p = h("caller");
        register(c);
        ReporterCore rc = new ReporterCore("n1", 1, 100);
        heartbeat(rc);
        driveToDeleting(rc, c);
        run(core.confirmDeleted(List.of(c), 10, now)); // the sweeper deleted c's content
        assertEquals(BlobStatus.COLLECTED, status(c));
        now += SETTINGS.tombstoneTtlMs() + MIN;
        heartbeat(rc);
        CycleOutcome o = run(core.cycle(ledger, false, now, now));
        assertEquals(List.of(c), o.prunedTombstones());
        assertTrue(ledger.status(c).isEmpty());

        // p only
        Registered reg = run(core.register(ledger, List.of(new Registration(p, List.of(c))), IN_STORE, now));
        AcquireReply r = run(core.acquire(ledger, "n1", rc.incarnation(), rc.seq(), p, now, now));
        assertNotEquals(BlobStatus.ACTIVE, status(c), "c is ACTIVE, but its content left the store");
        assertEquals(AcquireResult.GONE, r.result(), "ACQUIRED p although its callee c has no content");
        assertEquals(List.of(p), reg.rejected(), "p declares a callee with no content: upload c first");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 3: a dependency registered after use reaches a blob already DELETING
    // ---------------------------------------------------------------------------------------------------------

    /**
     * p is acquired and held by n1. c, unused, is marked and fenced (DELETING). Then p's registration declares c as a
     * callee (dependencies registered after use): checkRegister looks only at p, so it is accepted. Now c is
     * reachable from a held blob — in use — while the sweeper deletes it.
     */
    @Test
    void aBlobInUseNeverReachesABlobBeingDeletedThroughADependencyRegisteredLater() {
        core.recovered(ledger, List.of("n1"), now);
        BlobHash p = h("caller"), c = h("callee");
        register(p);
        register(c);
        ReporterCore rc = new ReporterCore("n1", 1, 100);
        heartbeat(rc);
        ReporterCore.AskAcquire ask = deliver(rc.acquire("frame", p, "caller")).get(0);
        AcquireReply a = run(core.acquire(ledger, "n1", rc.incarnation(), ask.afterSeq(), p, now, now));
        assertEquals(AcquireResult.ACQUIRED, a.result());
        rc.acquireAnswered(ask.ask(), a);
        driveToDeleting(rc, c);
        assertEquals(BlobStatus.ACTIVE, status(p));

        run(core.register(ledger, List.of(new Registration(p, List.of(c))), IN_STORE, now));
        assertTrue(ledger.info(p).orElseThrow().referencedBy().contains("n1"));
        assertTrue(ledger.goneInClosure(p).isEmpty(),
                "p is held by n1 and now depends on " + ledger.goneInClosure(p) + ", which the sweeper is deleting");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 4: S10 is not implemented — a successor deletes a predecessor's DELETING blobs with no write of its own
    // ---------------------------------------------------------------------------------------------------------

    /** The predecessor fenced x (DELETING) and handed it to its sweeper; a successor recovers from its journal. */
    private PartitionedLedger successorOfAPredecessorDeleting(BlobHash x, CoordinatorCore successor) {
        core.recovered(ledger, List.of("n1"), now);
        register(x);
        ReporterCore rc = new ReporterCore("n1", 1, 100);
        heartbeat(rc);
        driveToDeleting(rc, x); // handed to the predecessor's sweeper; the predecessor is now paused (GC, SIGSTOP)
        PartitionedLedger l = PartitionedLedger.fromSnapshot(SETTINGS, ledger.snapshot());
        successor.recovered(l, List.of("n1"), now);
        run(l, successor.report(NodeReport.full("n1", 1, rc.seq() + 1, List.of(), List.of()), now));
        assertFalse(l.warmingUp());
        return l;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 5: an operator pin with a very long ttl expires at once (overflow), its blob becomes collectable
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void anOperatorPinWithATtlTooLongToRepresentIsRefusedAndALongOneDoesNotExpire() {
        core.recovered(ledger, List.of("n1"), now);
        BlobHash x = h("x");
        register(x);
        ReporterCore rc = new ReporterCore("n1", 1, 100);
        heartbeat(rc);
        var refused = run(core.pin(ledger, x, "op", "keep", Long.MAX_VALUE, now));
        assertEquals(io.blobgc.ledger.Refusal.Kind.BAD_REQUEST, refused.refusal().kind(), "granted, then expired at once");
        assertTrue(run(core.pin(ledger, x, "op", "keep", CoordinatorCore.MAX_PIN_TTL_MS, now)).ok());
        for (int i = 0; i < 4; i++) {
            now += MIN;
            heartbeat(rc);
            run(core.cycle(ledger, false, now, now));
        }
        assertFalse(ledger.info(x).orElseThrow().pins().isEmpty(), "the granted pin expired at once");
        assertEquals(BlobStatus.PINNED, status(x));
    }
}
