package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of the actor at P > 1: a node's FULL report (sent after every recovery, and on every ResendFull) was fenced
 * hash by hash ({@code PartitionedLedger.fenceReportedHolds} -> {@code protectRemoteClosure} -> {@code frontier}),
 * and each fence walked the hash's whole local closure again: N held blobs over one shared library of K blobs cost
 * N x K steps in the coordinator's one thread (8,000 x 8,000: 3.3 s at P = 4, 3 ms at P = 1). Now every owner walks
 * its roots' closures in one pass: the work is counted (blobs the walks visit), not timed.
 */
class ReviewP4FullReportCostTest {

    private static BlobHash in(Partitioning p, int partition, String name) {
        for (int i = 0; ; i++) {
            BlobHash h = BlobHash.sha256((name + "#" + i).getBytes());
            if (p.partitionOf(h) == partition) return h;
        }
    }

    /**
     * The closure walks, and the blobs they visit, to apply one FULL report of {@code n} held blobs that all call one
     * chain of {@code k} blobs, sent a second time (as a ResendFull gets it: nothing new is held).
     */
    private static long[] fullReportWalks(int partitions, int n, int k) {
        Partitioning p = Partitioning.of(partitions);
        PartitionedLedger l = new PartitionedLedger(LedgerSettings.DEFAULTS, 2 * (n + k), p);
        List<Registration> regs = new ArrayList<>();
        BlobHash remote = in(p, partitions - 1, "remote callee at the bottom"); // partition 0 when P = 1
        regs.add(Registration.of(remote));
        BlobHash below = remote;
        for (int i = 0; i < k; i++) { // a shared library: a chain in partition 0 down to one remote callee
            BlobHash h = in(p, 0, "lib" + i);
            regs.add(new Registration(h, List.of(below)));
            below = h;
        }
        List<BlobHash> tops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BlobHash h = in(p, 0, "function" + i);
            regs.add(new Registration(h, List.of(below)));
            tops.add(h);
        }
        l.applyRegistered(regs);
        long now = 1_700_000_000_000L;
        l.applyTookOver("me", 30_000);
        l.beginWarmUp(null, now);
        l.tookOverFirst();
        l.report(NodeReport.full("n1", 1, 1, tops, List.of()), now); // ends the warm-up (settle round)
        assertTrue(!l.warmingUp());
        long[] before = l.closureWalks();
        ReportOutcome o = l.report(NodeReport.full("n1", 1, 2, tops, List.of()), now);
        long[] after = l.closureWalks();
        assertEquals(ReportOutcome.APPLIED, o);
        assertTrue(l.isProtected(tops.get(0)));
        assertTrue(l.isProtected(remote), "the remote callee at the bottom of every held blob is protected");
        return new long[]{after[0] - before[0], after[1] - before[1]};
    }

    @Test
    void oneFullReportOverASharedLibraryDoesNotCostHeldBlobsTimesLibrarySize() {
        int n = 2_000, k = 2_000;
        assertEquals(0, fullReportWalks(1, n, k)[1], "P = 1 walks nothing for a report");
        long[] four = fullReportWalks(4, n, k);
        // one walk per partition that owns held blobs (here one), visiting each blob of the closures once
        assertTrue(four[0] <= 4 && four[1] <= n + k + 1, four[0] + " walks visiting " + four[1] + " blobs");
    }
}
