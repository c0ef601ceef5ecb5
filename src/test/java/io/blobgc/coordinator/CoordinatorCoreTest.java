package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.Ledger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.NodeReport;
import io.blobgc.ledger.Registration;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The coordinator's decisions without the actor: the ones no other test can reach cheaply. */
class CoordinatorCoreTest {

    private long now = 1_700_000_000_000L;
    private long seq;
    private final Ledger ledger = new Ledger(LedgerSettings.DEFAULTS.withGracePeriodMs(0));

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
        run(wet.register(ledger, List.of(Registration.of(x))));
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
        run(core.register(ledger, List.of(Registration.of(x))));
        run(core.report(NodeReport.full("n1", 1, ++seq, List.of(), List.of()), now));
        run(core.cycle(ledger, false, now, now));
        assertEquals(BlobStatus.UNREFERENCED, ledger.status(x).orElseThrow());
        var acquire = core.acquire(ledger, "n1", 1, seq, x, now, now);
        assertEquals(List.of(new Coordinator.BlobsUsed(List.of(x), now)), acquire.events());
        run(acquire);
        // a successor that recovers from the journal before the next cycle sees the use
        Ledger successor = Ledger.fromSnapshot(ledger.settings(), ledger.snapshot());
        assertEquals(BlobStatus.ACTIVE, successor.status(x).orElseThrow());
    }
}
