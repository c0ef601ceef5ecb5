package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.blobgc.ledger.LedgerFixture.h;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adversarial review of S1.4 (rev14), ledger level: the echo rule of {@link PartitionedLedger#deliverExport} for
 * hosted partitions. Each test asserts the correct behaviour and FAILS on main as landed. Partition A (0) owns x, B (1)
 * owns c; x calls c (the fixture of {@link ExportEchoTest}).
 */
class ExportsLedgerReviewTest {

    private static final Partitioning P2 = Partitioning.of(2);
    private static final LedgerSettings SETTINGS = LedgerSettings.DEFAULTS.withGracePeriodMs(0);
    private static final BlobHash X = in(0, 1), C = in(1, 1);
    private static final List<Registration> REGISTERED = List.of(Registration.of(C), new Registration(X, List.of(C)));

    private final long now = 1_000;

    private static BlobHash in(int p, int i) {
        BlobHash hash = h(p == 0 ? i : 0x80 + i);
        assertEquals(p, P2.partitionOf(hash));
        return hash;
    }

    /**
     * The echo rule keys on {@code kind() == FULL} ({@link PartitionedLedger#applyExport}), but
     * {@code NodeViews.report} takes every report that is not a DELTA as a FULL. An export whose kind is null (CBOR can
     * carry one; nothing between the wire and the ledger refuses it for exports) is therefore applied as a settled FULL
     * that echoes nothing: a B that recovered (generation 2) and warms up takes it and ends its warm-up on a view that
     * was not built after its recovery — what the echo rule was added to prevent. Fix: test {@code kind() != DELTA}
     * in {@code applyExport} (and refuse a null kind as MALFORMED, as the node path's {@code wellFormed} does).
     */
    @Test
    void anExportWithNoKindIsHeldToTheEchoRuleLikeAFull() {
        PartitionedLedger b = PartitionedLedger.hosting(SETTINGS, 64, P2, 1);
        b.applyRegistered(REGISTERED);
        b.beginWarmUp(List.of("n1"), now);
        b.applyTookOver("instance-1", 30_000);
        b.applyTookOver("instance-2", 30_000);
        b.report(NodeReport.full("n1", 1, 1, List.of(X), List.of()), now); // n1's share in B: empty
        assertTrue(b.warmUpBlockers().contains("partition:0"));
        NodeReport noKind = new NodeReport("partition:0", 1, 7, null, List.of(), List.of(), List.of(), List.of(), 0, 1,
                true); // built before B's recovery, or corrupt: it echoes no ask of B's
        ReportOutcome o = b.deliverExport(new PartitionedLedger.Export(0, 1, noKind, 0, null), now);
        assertNotEquals(ReportOutcome.APPLIED, o, "a report with no kind taken as a FULL that skips the echo");
        assertTrue(b.warmingUp(), "B's warm-up ended on a report that does not echo its generation: "
                + b.warmUpBlockers());
    }
}
