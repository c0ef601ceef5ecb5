package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The coordinator's decisions without the actor: the ones no other test can reach cheaply. */
class CoordinatorCoreTest {

    /** The content of every hash is in the store (these tests are about the rules, not the store). */
    private static final Predicate<BlobHash> IN_STORE = h -> true;

    private long now = 1_700_000_000_000L;
    private long seq;
    private final PartitionedLedger ledger = new PartitionedLedger(LedgerSettings.DEFAULTS.withGracePeriodMs(0));

    private <R> R run(CoordinatorCore.Decision<R> d) {
        d.events().forEach(e -> CoordinatorCore.apply(ledger, e));
        return d.reply().apply(ledger);
    }

    private void report(CoordinatorCore core) {
        run(core.report(NodeReport.delta("n1", 1, ++seq, List.of(), List.of(), List.of(), List.of()), now));
    }

    /** A blob left DELETING by a run without dry-run, as a dry-run coordinator recovers it. */
    private BlobHash deletingBlob() {
        CoordinatorCore wet = new CoordinatorCore(false);
        wet.recovered(ledger, null, now);
        BlobHash x = BlobHash.sha256("x".getBytes());
        run(wet.register(ledger, List.of(Registration.of(x)), IN_STORE, now));
        run(wet.report(NodeReport.full("n1", 1, ++seq, List.of(), List.of()), now));
        for (int i = 0; i < 2; i++) {
            run(wet.cycle(ledger, false, now, now));
            report(wet);
        }
        assertEquals(List.of(x), run(wet.startDeletion(ledger, 10, now)));
        assertEquals(BlobStatus.DELETING, ledger.status(x).orElseThrow());
        return x;
    }

    /** Issue 8, defect 8 (S9). */
    @Test
    void r8_aDryRunHandsNothingToTheSweeperNotEvenBlobsLeftDeleting() {
        deletingBlob();
        CoordinatorCore dry = new CoordinatorCore(true);
        dry.recovered(ledger, null, now);
        run(dry.report(NodeReport.full("n1", 1, ++seq, List.of(), List.of()), now));
        assertTrue(run(dry.startDeletion(ledger, 10, now)).isEmpty());
    }

    @Test
    void aDeletionThatKeepsFailingIsJournaledAfterOneTwoFourEightFailures() {
        BlobHash x = deletingBlob();
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(ledger, null, now);
        int journaled = 0;
        StringBuilder at = new StringBuilder();
        for (int failure = 1; failure <= 16; failure++) {
            var d = core.deletionFailed(ledger, x, "disk says no", now);
            if (!d.events().isEmpty()) {
                journaled++;
                at.append(failure).append(' ');
            }
            run(d);
        }
        assertEquals("1 2 4 8 16 ", at.toString());
        assertEquals(journaled, ledger.failedDeletions(x));
    }

    /** Found by the simulation (seed 55): the use of a blob in its grace must survive a failover (S3). */
    @Test
    void aUseOfABlobInItsGraceIsPersistedSoASuccessorRestartsTheGrace() {
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(ledger, null, now);
        BlobHash x = BlobHash.sha256("in grace".getBytes());
        run(core.register(ledger, List.of(Registration.of(x)), IN_STORE, now));
        run(core.report(NodeReport.full("n1", 1, ++seq, List.of(), List.of()), now));
        run(core.cycle(ledger, false, now, now));
        assertEquals(BlobStatus.UNREFERENCED, ledger.status(x).orElseThrow());
        var acquire = core.acquire(ledger, "n1", 1, seq, x, now, now);
        assertEquals(List.of(new Coordinator.BlobsUsed(List.of(x), now)), acquire.events());
        run(acquire);
        // a successor that recovers from the journal before the next cycle sees the use
        PartitionedLedger successor = PartitionedLedger.fromSnapshot(ledger.settings(), ledger.snapshot());
        assertEquals(BlobStatus.ACTIVE, successor.status(x).orElseThrow());
    }

    /**
     * Issue 20, item 2: in one batch, a caller falls with its callee whatever the order they are listed in — here a
     * chain listed callers first, its bottom without content, so that they fall one after the other — and a callee
     * held by a caller in use is used once however many callers reach it (the batch is decided in time linear in its
     * size; `blob-gc bench-registrations` measures it).
     */
    @Test
    void aBatchFallsAsAWholeWhateverItsOrder() {
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(ledger, null, now);
        List<BlobHash> chain = new ArrayList<>();
        for (int i = 0; i <= 500; i++) chain.add(BlobHash.sha256(("link " + i).getBytes()));
        List<Registration> batch = new ArrayList<>();
        for (int i = 0; i < 500; i++) batch.add(new Registration(chain.get(i), List.of(chain.get(i + 1))));
        BlobHash bottom = chain.get(500);
        var refused = run(core.register(ledger, batch, h -> !h.equals(bottom), now));
        assertEquals(List.of(), refused.accepted());
        assertEquals(Set.copyOf(chain.subList(0, 500)), Set.copyOf(refused.rejected()));
        for (BlobHash h : chain) assertTrue(ledger.status(h).isEmpty(), "nothing registered");
        // with the bottom listed too (its content stored), the whole chain is accepted in the same order
        List<Registration> whole = new ArrayList<>(batch);
        whole.add(Registration.of(bottom));
        assertEquals(Set.copyOf(chain), Set.copyOf(run(core.register(ledger, whole, h -> true, now)).accepted()));
    }

    /** Issue 20, item 2: one registration larger than the coordinator's bound is refused as a whole, unapplied. */
    @Test
    void aRegistrationBeyondTheBoundIsRefusedAsAWhole() {
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(ledger, null, now);
        BlobHash callee = BlobHash.sha256("callee".getBytes());
        List<BlobHash> callees = java.util.Collections.nCopies(CoordinatorCore.MAX_REGISTRATION_ITEMS, callee);
        BlobHash caller = BlobHash.sha256("caller".getBytes());
        var d = core.register(ledger, List.of(Registration.of(callee), new Registration(caller, callees)), h -> true, now);
        assertTrue(d.events().isEmpty(), "nothing persisted");
        var reply = run(d);
        assertEquals(List.of(), reply.accepted());
        assertEquals(List.of(callee, caller), reply.rejected());
        assertTrue(ledger.status(caller).isEmpty());
    }

    /**
     * Issue 19, defect 1: a registration gives content only to a hash whose content is in the store — a new hash, or
     * a COLLECTED one uploaded again — and is refused, naming the hash, when it is not there.
     */
    @Test
    void d1_aRegistrationOfAHashWhoseContentIsNotInTheStoreIsRefused() {
        BlobHash collected = deletingBlob();
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(ledger, null, now);
        BlobHash x = BlobHash.sha256("never written".getBytes()), y = BlobHash.sha256("caller".getBytes());
        Set<BlobHash> store = new HashSet<>(Set.of(y)); // the caller's content was written, its callee's was not
        var refused = run(core.register(ledger, List.of(Registration.of(x), new Registration(y, List.of(x))),
                store::contains, now));
        assertEquals(List.of(), refused.accepted());
        assertEquals(List.of(x), refused.noContent());
        assertEquals(Set.of(x, y), Set.copyOf(refused.rejected()), "y's callee x has no content: y falls with it");
        assertTrue(ledger.status(x).isEmpty());
        store.add(x);
        var accepted = run(core.register(ledger, List.of(Registration.of(x), new Registration(y, List.of(x))),
                store::contains, now));
        assertEquals(List.of(x, y), accepted.accepted());
        // a hash the registry holds with content is not asked for again (its content is in the store by construction)
        assertEquals(List.of(x), run(core.register(ledger, List.of(Registration.of(x)), h -> {
            throw new AssertionError("asked the store for " + h);
        }, now)).accepted());
        run(core.confirmDeleted(List.of(collected), 1, now));
        assertEquals(BlobStatus.COLLECTED, ledger.status(collected).orElseThrow());
        var again = run(core.register(ledger, List.of(Registration.of(collected)), store::contains, now));
        assertEquals(List.of(collected), again.noContent(), "a COLLECTED blob is not revived without its content");
        assertEquals(BlobStatus.COLLECTED, ledger.status(collected).orElseThrow());
    }

    /**
     * Found by the simulation (seed 301125 of a long run): a new edge from a caller in use to a callee waiting out its
     * grace is a use of the callee (S2), and a successor recovering before the next cycle must see it (S3). Before
     * the fix the use lived only in the live ledger: the caller was released, the coordinator restarted, and the
     * successor marked and deleted the callee 5 s after that use.
     */
    @Test
    void aNewEdgeFromACallerInUseToACalleeInItsGraceIsPersistedAsAUse() {
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(ledger, null, now);
        BlobHash callee = BlobHash.sha256("callee in its grace".getBytes());
        BlobHash caller = BlobHash.sha256("caller in use".getBytes());
        run(core.register(ledger, List.of(Registration.of(callee), Registration.of(caller)), IN_STORE, now));
        run(core.report(NodeReport.full("n1", 1, ++seq, List.of(caller), List.of()), now));
        run(core.cycle(ledger, false, now, now));
        assertEquals(BlobStatus.UNREFERENCED, ledger.status(callee).orElseThrow());
        var edge = core.register(ledger, List.of(new Registration(caller, List.of(callee))), IN_STORE, now);
        assertEquals(List.of(new Coordinator.BlobsRegistered(List.of(new Registration(caller, List.of(callee)))),
                new Coordinator.BlobsUsed(List.of(callee), now)), edge.events());
        run(edge);
        PartitionedLedger successor = PartitionedLedger.fromSnapshot(ledger.settings(), ledger.snapshot());
        assertEquals(BlobStatus.ACTIVE, successor.status(callee).orElseThrow(), "the successor counts the grace anew");
        // an edge from a caller nobody uses is no use of its callee
        BlobHash idle = BlobHash.sha256("caller nobody uses".getBytes()), other = BlobHash.sha256("other".getBytes());
        run(core.register(ledger, List.of(Registration.of(idle), Registration.of(other)), IN_STORE, now));
        run(core.report(NodeReport.delta("n1", 1, ++seq, List.of(), List.of(), List.of(), List.of()), now));
        run(core.cycle(ledger, false, now, now));
        assertEquals(BlobStatus.UNREFERENCED, ledger.status(other).orElseThrow());
        assertEquals(1, core.register(ledger, List.of(new Registration(idle, List.of(other))), IN_STORE, now)
                .events().size());
    }

    /**
     * Found by the simulation (seed 514552 of a long run): a coordinator warming up after a failover has not seen
     * every member's holds, so an edge registered from a caller that a member holds (ACTIVE, as the journal last
     * said) onto a callee in its grace is a use of the callee, persisted: the member crashed before its FULL report
     * reached this coordinator, and a successor deleted the callee 3 s after that use.
     */
    @Test
    void aNewEdgeFromAnActiveCallerIsAUseEvenBeforeTheHoldersReportArrived() {
        CoordinatorCore core = new CoordinatorCore(false);
        core.recovered(ledger, null, now);
        BlobHash callee = BlobHash.sha256("callee waiting out its grace".getBytes());
        BlobHash caller = BlobHash.sha256("caller held by a member not heard from yet".getBytes());
        run(core.register(ledger, List.of(Registration.of(callee), Registration.of(caller)), IN_STORE, now));
        run(core.report(NodeReport.full("n1", 1, ++seq, List.of(caller), List.of()), now));
        run(core.cycle(ledger, false, now, now));
        assertEquals(BlobStatus.UNREFERENCED, ledger.status(callee).orElseThrow());
        // a failover: the successor recovered from the journal and has no node views yet
        PartitionedLedger successor = PartitionedLedger.fromSnapshot(ledger.settings(), ledger.snapshot());
        CoordinatorCore next = new CoordinatorCore(false);
        next.recovered(successor, List.of("n1"), now);
        assertEquals(BlobStatus.ACTIVE, successor.status(caller).orElseThrow());
        var edge = next.register(successor, List.of(new Registration(caller, List.of(callee))), IN_STORE, now);
        assertTrue(edge.events().contains(new Coordinator.BlobsUsed(List.of(callee), now)), edge.events().toString());
    }
}
