package io.blobgc.ledger;

import io.blobgc.BlobHash;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review 31 (adversarial, of 1570659 and 8ad741e): what one GONE acquire costs the partitions its walk asks.
 * {@link PartitionedLedger#goneBelow} walks the local closure of each asked hash on its own — once for
 * {@code localGoneInClosure} (twice: the clean check, then the gone walk, neither cached for a closure with a gone
 * blob) and once for {@code remoteCalleesBelow} — so k asked hashes over one shared closure of n blobs cost k × n,
 * where one walk from all of them (as {@code Exports.remoteCalleesBelow(int[])} and {@code frontier} do) costs k + n.
 */
class Review31Test {

    /** Hash {@code i} of partition {@code p} of {@link TwoPartitions#P2} (top bit: the partition), any {@code i}. */
    static BlobHash hash(int p, int i) {
        byte[] bytes = new byte[32];
        Arrays.fill(bytes, (byte) 0x11);
        bytes[0] = (byte) (p == 0 ? 0x01 : 0x81);
        bytes[1] = (byte) (i >>> 24);
        bytes[2] = (byte) (i >>> 16);
        bytes[3] = (byte) (i >>> 8);
        bytes[4] = (byte) i;
        BlobHash h = BlobHash.of(bytes);
        assertEquals(p, TwoPartitions.P2.partitionOf(h));
        return h;
    }

    static void collect(PartitionedLedger l, int p, BlobHash x) {
        l.applyCycle(p, new CycleOutcome(1, 1_000, false, false, false, List.of(x), List.of(), List.of(), List.of(),
                List.of(new CycleOutcome.MarkedBlob(x, 1_000)), List.of(), List.of(), List.of(), List.of(), 0));
        l.applyDeletionStarted(List.of(x), 2_000);
        l.applyCollected(List.of(x), 3_000);
        assertEquals(BlobStatus.COLLECTED, l.status(x).orElseThrow());
    }

    /**
     * Partition 1: a library chain s0 → s1 → … → s(n-1), its last blob collected, and k functions c0 … c(k-1) that
     * each call s0 (a shared standard library). Partition 0's f, collected, calls every c: its GONE walk sends
     * partition 1 one FindGone of all k functions. Answering it visits the chain once per function: k × n blobs.
     * With k = n = 300: 90,000 visits for one answer (and the answer is sent again every eighth of the acquire
     * timeout while outstanding, and per acquire). Fix: one walk from all asked hashes with one visited set
     * (localGoneInClosure over the set, {@code remoteCalleesBelow(Collection)}).
     */
    @Test
    void oneFindGoneOfKHashesOverASharedClosureOfNBlobsCostsKTimesN() {
        int k = 300, n = 300;
        List<Registration> regs = new ArrayList<>();
        BlobHash zeroCallee = hash(0, 1); // the chain's bottom calls back into partition 0: a remote callee below
        regs.add(new Registration(hash(1, n - 1), List.of(zeroCallee)));
        for (int i = n - 2; i >= 0; i--) regs.add(new Registration(hash(1, i), List.of(hash(1, i + 1))));
        List<BlobHash> functions = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            BlobHash c = hash(1, 1_000_000 + j);
            functions.add(c);
            regs.add(new Registration(c, List.of(hash(1, 0))));
        }
        PartitionedLedger one = TwoPartitions.hosted(1, regs, 0, false, 0);
        collect(one, 1, hash(1, n - 1));
        long[] before = one.closureWalks();
        GoneWalk.Found found = one.goneBelow(functions);
        long[] after = one.closureWalks();
        assertEquals(List.of(hash(1, n - 1)), found.gone());
        long visited = after[1] - before[1];
        assertTrue(visited <= 4L * (k + n), "one FindGone of " + k + " hashes over a shared closure of " + n
                + " blobs visited " + visited + " blobs in " + (after[0] - before[0]) + " closure walks (the "
                + "remote-callee walks alone; the gone walks repeat it twice more)");
    }

    /**
     * The same shape, the shared chain's blobs each calling a callee of partition 0 (m remote callees below all k asked
     * hashes): goneBelow adds the remote callees below each asked hash to {@code below} again, so the answer lists
     * k × m hashes where m are distinct. With k = m = 200 that is 40,000 hashes, about 2.6 MB as jackson-cbor (a hash
     * is 64 hex digits): over the 2 MiB remote frame (reference.conf), so in a cluster Artery drops the GoneFound,
     * every resend's answer too (each costing k × n again), the walk ends at its deadline with what it found, and every
     * acquire of the gone blob names the same partial set: the VM uploads it for ever (review 30's defect again, for a
     * big closure). Fix: one walk from all asked hashes, a set per owner in {@code below}; and an answer bounded in
     * size (split asks, as FULL reports are chunked).
     */
    @Test
    void aFoundListsEachRemoteCalleeOncePerAnswerAndFitsTheRemoteFrame() throws Exception {
        int k = 200, n = 200;
        List<Registration> regs = new ArrayList<>();
        regs.add(new Registration(hash(1, n - 1), List.of(hash(0, n - 1))));
        for (int i = n - 2; i >= 0; i--) regs.add(new Registration(hash(1, i), List.of(hash(1, i + 1), hash(0, i))));
        List<BlobHash> functions = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            BlobHash c = hash(1, 1_000_000 + j);
            functions.add(c);
            regs.add(new Registration(c, List.of(hash(1, 0))));
        }
        PartitionedLedger one = TwoPartitions.hosted(1, regs, 0, false, 0);
        collect(one, 1, hash(1, n - 1));
        GoneWalk.Found found = one.goneBelow(functions);
        int listed = found.below().values().stream().mapToInt(List::size).sum();
        long distinct = found.below().values().stream().flatMap(List::stream).distinct().count();
        byte[] bytes = new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.cbor.CBORFactory()).writeValueAsBytes(found);
        assertEquals(n, distinct);
        assertTrue(listed == distinct && bytes.length < 2 * 1024 * 1024, "the answer to one FindGone of " + k
                + " hashes lists " + listed + " remote callees below them (" + distinct + " distinct): "
                + bytes.length + " bytes as cbor, the remote frame is 2 MiB");
    }
}
