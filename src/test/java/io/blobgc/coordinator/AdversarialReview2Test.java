package io.blobgc.coordinator;

import io.blobgc.BlobHash;
import io.blobgc.ledger.PartitionedLedger;
import io.blobgc.ledger.LedgerSettings;
import io.blobgc.ledger.Registration;
import io.blobgc.protocol.ReporterProtocol.AcquireReply;
import io.blobgc.protocol.ReporterProtocol.AcquireResult;
import io.blobgc.protocol.ReporterProtocol.Registered;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review 2: adversarial interleavings of the coordinator's core and the ledger, one thread, explicit time. Each test
 * failed on the code it was written against.
 */
class AdversarialReview2Test {

    /** The content of every hash is in the store (these tests are about the rules, not the store). */
    private static final Predicate<BlobHash> IN_STORE = h -> true;

    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(0);

    private final long now = 1_700_000_000_000L;
    private final PartitionedLedger ledger = new PartitionedLedger(SETTINGS);
    private final CoordinatorCore core = new CoordinatorCore(false);

    private static BlobHash h(String s) {
        return BlobHash.sha256(s.getBytes());
    }

    private <R> R run(CoordinatorCore.Decision<R> d) {
        d.events().forEach(e -> CoordinatorCore.apply(ledger, e));
        return d.reply().apply(ledger);
    }

    /**
     * One registration batch lists the caller before its callee, and the callee is rejected (its own callee was never
     * uploaded). The caller was already accepted because its callee was "in the batch"; applying the caller's
     * registration then registers the rejected callee as ACTIVE, content-less, and an acquire of the caller answers
     * ACQUIRED for a closure whose content is not all there.
     */
    @Test
    void aCalleeRejectedLaterInTheSameBatchDoesNotLetItsCallerIn() {
        BlobHash x = h("x"), y = h("y"), missing = h("never-uploaded");
        Registered r = run(core.register(ledger, List.of(
                new Registration(x, List.of(y)),
                new Registration(y, List.of(missing))), IN_STORE, now));
        assertTrue(r.rejected().contains(y), "y's callee was never uploaded: y is rejected");
        assertTrue(r.rejected().contains(x) || !r.accepted().contains(x),
                "x depends on y, which this very batch rejected — yet x was accepted: " + r
                        + "; y's status now " + ledger.status(y));
        AcquireReply a = run(core.acquire(ledger, "n1", 1, 0, x, now, now));
        assertNotEquals(AcquireResult.ACQUIRED, a.result(), "x acquired although its callee y has no content");
    }
}
