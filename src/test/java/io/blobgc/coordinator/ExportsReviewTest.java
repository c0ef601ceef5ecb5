package io.blobgc.coordinator;

import io.blobgc.ledger.BlobStatus;
import io.blobgc.ledger.NodeReport;
import io.blobgc.protocol.ReporterProtocol.Report;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static io.blobgc.coordinator.ExportsReviewHarness.eventually;
import static io.blobgc.coordinator.ExportsReviewHarness.pause;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Adversarial review of S1.4 (commits 8bdae37, 463742b: exports as messages between linked partition entities, the
 * echo of the warm-up FULL). Each test asserts the correct behaviour and FAILS on main as landed. Two linked entities,
 * local peers that lose what the test says ({@link ExportsReviewHarness}); A (0) owns x, B (1) owns c and d; x calls c.
 */
class ExportsReviewTest {

    @TempDir
    Path storeRoot;
    private ExportsReviewHarness h;

    @BeforeEach
    void setUp() throws IOException {
        h = new ExportsReviewHarness("ExportsReviewTest", storeRoot);
    }

    @AfterEach
    void tearDown() {
        h.close();
    }

    /**
     * A node's {@code Report} whose node id is a partition's reporter id ({@code partition:0}) reaches B's
     * <em>partition</em> view of A: nothing on the node-report path ({@code Roster.onReport},
     * {@code CoordinatorCore.wellFormed}, {@code NodeViews.report}) keeps node ids out of the {@code partition:<q>}
     * names. Here it is the DELTA A would send next, removing c. B's view of A drops c; A's own next report has the
     * same seq (a duplicate, dropped) and A's later DELTAs are differences against what A believes B holds, so c is
     * never exported again: B marks and deletes c while n1 still holds x, whose callee c is (S2 across partitions,
     * partitions.md §1). It also bypasses the echo rule and the settled/provisional rule altogether (a node report
     * is settled and echoes nothing). Bad input must be "a clear error reply or a log line, never a lost blob"
     * (DESIGN §6). Linked entities are the first hosted ledgers that hold partition views fed by messages; the whole
     * coordinator at P &gt; 1 shares the gap. Fix: refuse (MALFORMED) any node report or acquire whose node id is a
     * partition reporter id ({@code PartitionedLedger.reporterOf(q)}), in {@code CoordinatorCore.wellFormed}/acquire.
     */
    @Test
    void aNodeReportNamedLikeAPartitionCannotDropACalleeThatPartitionExports() {
        h.steadyWithXHeld();
        assertTrue(h.heldByA(h.c));
        Coordinator.PartitionExport last = h.lastFromA();
        assertNotNull(last);
        NodeReport forged = NodeReport.delta("partition:0", last.report().incarnation(), last.report().seq() + 1,
                List.of(), List.of(h.c), List.of(), List.of());
        h.entities.get(1).tell(new Report(forged, h.reporter.getRef()));
        List<String> seen = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            h.cycle();
            pause(100); // the sweeper deletes asynchronously
            seen.add(h.info(h.c).status() + (h.kit.store.exists(h.c) ? "" : " (gone from the store)"));
        }
        assertTrue(h.info(h.c).status() == BlobStatus.ACTIVE && h.kit.store.exists(h.c),
                "c is held through x (n1 holds x: " + h.info(h.x).referencedBy() + ") and must stay ACTIVE; c after "
                        + "each cycle: " + seen);
        assertTrue(h.heldByA(h.c), "B's view of A still holds c: " + h.info(h.c));
    }

    /**
     * An export whose report has no kind (null, which CBOR can carry) is taken as a FULL and skips the echo rule:
     * {@code PartitionedLedger.applyExport} checks the echo only for {@code kind() == FULL}, and
     * {@code NodeViews.report} treats every non-DELTA as a FULL. {@code PartitionLinks.wellFormed} does not check the
     * kind (the node path's {@code CoordinatorCore.wellFormed} does). So a restarted, warming B takes a FULL that does
     * not echo its generation — e.g. one built before its recovery — and ends its warm-up on it: exactly what the echo
     * rule exists to stop (a FULL built before a {@code Protect} whose sticky the recovery forgot, S5). Fix: in
     * {@code PartitionLinks.wellFormed} refuse a report with a null kind (as {@code CoordinatorCore.wellFormed} does),
     * and in the ledger test {@code kind() != DELTA} rather than {@code == FULL}.
     */
    @Test
    void anExportWithNoKindIsNotTakenAsAFullThatSkipsTheEcho() {
        h.steadyWithXHeld();
        long incarnationOfA = h.lastFromA().report().incarnation();
        h.lost = m -> m instanceof Coordinator.PartitionExport e && e.to() == 1; // nothing from A reaches B for now
        h.restart(1);
        h.full(h.x); // n1's FULL again: B's warm-up waits for partition A alone
        eventually("B waits for A alone", () -> h.summary(1).warmUpBlockers().equals(List.of("partition:0")),
                () -> String.valueOf(h.summary(1).warmUpBlockers()));
        NodeReport noKind = new NodeReport("partition:0", incarnationOfA, 1_000, null, List.of(h.c), List.of(),
                List.of(), List.of(), 0, 1, true);
        h.entities.get(1).tell(new Coordinator.PartitionExport(0, 1, 0, noKind)); // echoes no ask of B's
        Coordinator.Summary b = h.summary(1);
        assertTrue(b.warmingUp(), "a report that echoes no generation of B's ended B's warm-up: " + b.warmUpBlockers());
        assertEquals(List.of("partition:0"), b.warmUpBlockers());
    }
}
